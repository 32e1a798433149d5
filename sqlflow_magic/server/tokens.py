"""The JWTs that ``/user/generateToken`` hands out (HS256, audience ``gudusoft``)."""

from __future__ import annotations

import math
import time

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


def verify_token(secret: str, token: str, user_id: str) -> None:
    """Check that ``token`` is valid now and was issued to ``user_id``; raise :class:`TokenError` if not."""
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
