"""Who may call the local server: tokens for a userId and its secret key, and checking them on every call.

The answers never tell whether a userId exists: ``/user/generateToken`` answers :data:`WRONG_CREDENTIALS`
(401) to an unknown user and to a wrong key alike, and every other call without a valid token answers
:data:`INVALID_TOKEN` (403), known user or not. Only the on-premise user, whose id is public, is named.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.server.responses import FORBIDDEN, UNAUTHORIZED, Rejection
from sqlflow_magic.server.tokens import TokenError, TokenKeeper
from sqlflow_magic.server.users import UserDirectory

USER_ID_REQUIRED = "userId is required: send the userId (and its token, or secretKey to /user/generateToken)"
WRONG_CREDENTIALS = "wrong userId or secretKey: send a userId and the secretKey the server's users file gives it"
INVALID_TOKEN = ("token is invalid or expired: call /user/generateToken with your userId and secretKey "
                 "for a new token")
ONPREM_REFUSED = (f"the on-premise user {ON_PREMISE_USER_ID} is not allowed on this server: use a userId and "
                  "secretKey from its users file, or start it with --allow-onprem-user (allow_onprem_user)")

#: Compared with a secret key given for an unknown user, so that the answer takes as long as for a known one.
_NO_KEY = "-" * 64


@dataclass
class Access:
    """The users and their keys, the keeper of the token-signing secret, and the on-premise rule of one app."""

    users: UserDirectory
    tokens: TokenKeeper
    allow_onprem_user: bool
    token_ttl_seconds: int

    def _is_free_onprem_user(self, user_id: str, key: str | None) -> bool:
        """The on-premise user, not in the users file: it needs no token or key where allowed."""
        return user_id == ON_PREMISE_USER_ID and key is None

    def issue_token(self, user_id: str | None, secret_key: str) -> str:
        """``/user/generateToken``: a new token for ``user_id``, given its current secret key; else 401.

        A token never renews another: without the key, only the on-premise user (where allowed) gets one."""
        if user_id is None:
            raise Rejection(UNAUTHORIZED, USER_ID_REQUIRED)
        key = self.users.key_of(user_id)
        if self._is_free_onprem_user(user_id, key) and self.allow_onprem_user:
            return self.tokens.issue(user_id, self.token_ttl_seconds, None)
        matches = hmac.compare_digest((key or _NO_KEY).encode(), secret_key.encode())
        if key is None or not matches:
            raise Rejection(UNAUTHORIZED, WRONG_CREDENTIALS)
        return self.tokens.issue(user_id, self.token_ttl_seconds, key)

    def check(self, user_id: str | None, token: str | None) -> str:
        """Return ``user_id`` if ``token`` is its valid token now; raise :class:`Rejection` (401/403) if not."""
        if user_id is None:
            raise Rejection(UNAUTHORIZED, USER_ID_REQUIRED)
        key = self.users.key_of(user_id)
        if self._is_free_onprem_user(user_id, key):
            if self.allow_onprem_user:
                return user_id  # on-premise 5.x semantics: this user needs no token
            raise Rejection(UNAUTHORIZED, ONPREM_REFUSED)
        if token is None:
            raise Rejection(FORBIDDEN, INVALID_TOKEN)
        try:
            self.tokens.verify(token, user_id, key)  # an unknown user (key None) is checked the same way, then refused
        except TokenError:
            raise Rejection(FORBIDDEN, INVALID_TOKEN) from None
        return user_id
