"""The JWTs that ``/user/generateToken`` hands out (HS256, audience ``gudusoft``)."""

from __future__ import annotations

import math
import time
from typing import Any

import jwt

AUDIENCE = "gudusoft"
ALGORITHM = "HS256"


class TokenError(Exception):
    """A token is malformed, expired, badly signed or made for another user."""


def issue_token(secret: str, user_id: str, ttl_seconds: int, now: float | None = None) -> str:
    """Return a signed token for ``user_id`` valid for at least ``ttl_seconds`` after ``now``."""
    issued_at = time.time() if now is None else now
    claims = {"sub": user_id, "aud": AUDIENCE, "iat": int(issued_at), "exp": math.ceil(issued_at + ttl_seconds)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, user_id: str) -> dict[str, Any]:
    """Check that ``token`` is valid now and was issued to ``user_id``; raise :class:`TokenError` if not.

    Returns the token's claims."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the token is not valid ({type(exc).__name__})") from None
    if claims["sub"] != user_id:
        raise TokenError("the token was issued to another userId")
    return claims


class TokenKeeper:
    """Issues and checks the tokens signed with one server secret.

    A token it verified is remembered (by its exact text) until it expires: checking a signature
    was a tenth of the server's work on a submit, and a client sends the same token every time.
    The secret never shows in a repr.
    """

    def __init__(self, secret: str, remembered: int = 4096) -> None:
        self._secret = secret
        self._remembered = remembered
        #: token -> (userId, expiry as a Unix time): tokens that passed :func:`verify_token`.
        self._verified: dict[str, tuple[str, float]] = {}

    def __repr__(self) -> str:
        return f"TokenKeeper(remembered={len(self._verified)})"

    def issue(self, user_id: str, ttl_seconds: int) -> str:
        """A new token for ``user_id`` (see :func:`issue_token`)."""
        return issue_token(self._secret, user_id, ttl_seconds)

    def verify(self, token: str, user_id: str) -> None:
        """:func:`verify_token`, answered from memory for a token already verified and not yet expired."""
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                if known[0] != user_id:
                    raise TokenError("the token was issued to another userId")
                return
            del self._verified[token]
        claims = verify_token(self._secret, token, user_id)
        if len(self._verified) >= self._remembered:
            self._verified.clear()
        self._verified[token] = (user_id, float(claims["exp"]))
