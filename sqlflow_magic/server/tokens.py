"""The JWTs that ``/user/generateToken`` hands out (HS256, audience ``gudusoft``).

Each token carries the version of its user's secret key (claim ``kv``): a keyed hash of the key,
made with the server's signing secret, so the token never reveals the key. A token whose ``kv`` is
not the current key's is refused: changing a user's key revokes every token made with the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import Any

import jwt

AUDIENCE = "gudusoft"
ALGORITHM = "HS256"
KEY_VERSION_CLAIM = "kv"


class TokenError(Exception):
    """A token is malformed, expired, badly signed, made for another user or for a replaced secret key."""


def key_version(secret: str, secret_key: str | None) -> str:
    """The version of a user's ``secret_key`` that its tokens carry; ``""`` for a user with no key (on-premise)."""
    if secret_key is None:
        return ""
    digest = hmac.new(secret.encode(), b"secret-key-version\0" + secret_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def issue_token(secret: str, user_id: str, ttl_seconds: int, now: float | None = None, version: str = "") -> str:
    """Return a signed token for ``user_id`` valid for at least ``ttl_seconds`` after ``now``.

    ``version`` is the :func:`key_version` of the user's secret key."""
    issued_at = time.time() if now is None else now
    claims = {"sub": user_id, "aud": AUDIENCE, "iat": int(issued_at), "exp": math.ceil(issued_at + ttl_seconds),
              KEY_VERSION_CLAIM: version}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, user_id: str, version: str | None) -> dict[str, Any]:
    """Check that ``token`` is valid now, was issued to ``user_id`` and carries key ``version``.

    ``version`` None (a user with no secret key) refuses every token, after the same checks.
    Raise :class:`TokenError` if the token is refused; return its claims otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "aud", KEY_VERSION_CLAIM]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the token is not valid ({type(exc).__name__})") from None
    if claims["sub"] != user_id:
        raise TokenError("the token was issued to another userId")
    if version is None or not hmac.compare_digest(str(claims[KEY_VERSION_CLAIM]), version):
        raise TokenError("the token was made with a secret key that is no longer the user's")
    return claims


class TokenKeeper:
    """Issues and checks the tokens signed with the server's secret.

    ``secret`` is the secret, or a function returning the one in force (``SigningKey.current``): when it
    changes (a rotated signing key), every token signed before is refused, remembered ones included.
    A token it verified is remembered (by its exact text) until it expires: checking a signature
    was a tenth of the server's work on a submit, and a client sends the same token every time.
    A remembered token is still checked against its user and the user's current key version, so a
    changed key revokes it at once. The secret never shows in a repr.
    """

    def __init__(self, secret: str | Callable[[], str], remembered: int = 4096) -> None:
        self._secret_in_force = secret if callable(secret) else lambda: secret
        self._secret = self._secret_in_force()
        self._remembered = remembered
        #: token -> (userId, key version, expiry as a Unix time): tokens that passed :func:`verify_token`.
        self._verified: dict[str, tuple[str, str, float]] = {}

    def _refresh_secret(self) -> None:
        secret = self._secret_in_force()
        if secret != self._secret:  # nothing verified with the old secret stands
            self._secret = secret
            self._verified.clear()

    def __repr__(self) -> str:
        return f"TokenKeeper(remembered={len(self._verified)})"

    def key_version(self, secret_key: str | None) -> str:
        """The key version a token of a user with ``secret_key`` carries (see :func:`key_version`)."""
        return key_version(self._secret, secret_key)

    def issue(self, user_id: str, ttl_seconds: int, secret_key: str | None) -> str:
        """A new token for ``user_id``, whose secret key is ``secret_key`` (see :func:`issue_token`)."""
        self._refresh_secret()
        return issue_token(self._secret, user_id, ttl_seconds, version=self.key_version(secret_key))

    def verify(self, token: str, user_id: str, secret_key: str | None) -> None:
        """:func:`verify_token` for a user whose current key is ``secret_key`` (None: no such user).

        Answered from memory for a token already verified, not yet expired, of the same user and key."""
        self._refresh_secret()
        version = None if secret_key is None else self.key_version(secret_key)
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[2]:
                if known[0] != user_id:
                    raise TokenError("the token was issued to another userId")
                if version is None or not hmac.compare_digest(known[1], version):
                    del self._verified[token]
                    raise TokenError("the token was made with a secret key that is no longer the user's")
                return
            del self._verified[token]
        claims = verify_token(self._secret, token, user_id, version)
        if len(self._verified) >= self._remembered:
            self._verified.clear()
        self._verified[token] = (user_id, str(claims[KEY_VERSION_CLAIM]), float(claims["exp"]))
