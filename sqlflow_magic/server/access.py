"""Who may call the local server: tokens for a userId and its secret key, and checking them on every call.

The answers never tell whether a userId exists: ``/user/generateToken`` answers :data:`WRONG_CREDENTIALS`
(401) to an unknown user and to a wrong key alike, and every other call without a valid token answers
:data:`INVALID_TOKEN` (403), known user or not. Only the on-premise user, whose id is public, is named.

Attempts that check a secret key are limited per ``userId`` and per client address (``server/rate_limit.py``):
past the limits they answer :data:`TOO_MANY_FAILURES` (429, with ``Retry-After``), known user or not. Each
failure is logged with the ``userId`` (``repr``, shortened), the address and the reason, never the key.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.server.rate_limit import TokenAttemptLimits, retry_after
from sqlflow_magic.server.responses import FORBIDDEN, TOO_MANY_REQUESTS, UNAUTHORIZED, Rejection
from sqlflow_magic.server.tokens import TokenError, TokenKeeper
from sqlflow_magic.server.users import UserDirectory

logger = logging.getLogger(__name__)

USER_ID_REQUIRED = "userId is required: send the userId (and its token, or secretKey to /user/generateToken)"
WRONG_CREDENTIALS = "wrong userId or secretKey: send a userId and the secretKey the server's users file gives it"
INVALID_TOKEN = ("token is invalid or expired: call /user/generateToken with your userId and secretKey "
                 "for a new token")
TOO_MANY_FAILURES = ("too many failed token requests for this userId or from this address: try again in {} s "
                     "(token_failures_per_user, token_failures_per_address)")
ONPREM_REFUSED = (f"the on-premise user {ON_PREMISE_USER_ID} is not allowed on this server: use a userId and "
                  "secretKey from its users file, or start it with --allow-onprem-user (allow_onprem_user)")

#: Compared with a secret key given for an unknown user, so that the answer takes as long as for a known one.
_NO_KEY = "-" * 64


@dataclass
class Access:
    """The users and their keys, the keeper of the token-signing secret, the on-premise rule and the limits
    on failed token requests of one app."""

    users: UserDirectory
    tokens: TokenKeeper
    allow_onprem_user: bool
    token_ttl_seconds: int
    limits: TokenAttemptLimits

    def _is_free_onprem_user(self, user_id: str, key: str | None) -> bool:
        """The on-premise user, not in the users file: it needs no token or key where allowed."""
        return user_id == ON_PREMISE_USER_ID and key is None

    def issue_token(self, user_id: str | None, secret_key: str, address: str = "") -> str:
        """``/user/generateToken``: a new token for ``user_id``, given its current secret key; else 401.

        A token never renews another: without the key, only the on-premise user (where allowed) gets one.
        ``address`` is the client's: past the limits on failures (``limits``), the answer is 429."""
        if user_id is None:
            raise Rejection(UNAUTHORIZED, USER_ID_REQUIRED)
        key = self.users.key_of(user_id)
        if self._is_free_onprem_user(user_id, key) and self.allow_onprem_user:
            return self.tokens.issue(user_id, self.token_ttl_seconds, None)
        wait = self.limits.wait_seconds(user_id, address)
        if wait > 0:
            logger.debug("generateToken for userId %s from %s answered 429", _shown(user_id), address)
            seconds = retry_after(wait)
            raise Rejection(TOO_MANY_REQUESTS, TOO_MANY_FAILURES.format(seconds), 429, {"Retry-After": str(seconds)})
        matches = hmac.compare_digest((key or _NO_KEY).encode(), secret_key.encode())
        if key is None or not matches:
            self._failed(user_id, address, "unknown userId" if key is None else "wrong secretKey")
            raise Rejection(UNAUTHORIZED, WRONG_CREDENTIALS)
        self.limits.succeeded(user_id, address)
        return self.tokens.issue(user_id, self.token_ttl_seconds, key)

    def _failed(self, user_id: str, address: str, reason: str) -> None:
        used_up = self.limits.failed(user_id, address)
        limited = "; further attempts for this userId or from this address answer 429 for a while" if used_up else ""
        logger.warning("generateToken refused for userId %s from %s: %s%s", _shown(user_id), address, reason, limited)

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


def _shown(user_id: str) -> str:
    """A userId as the log shows it: quoted and escaped (no forged log lines), at most 80 characters."""
    return repr(user_id if len(user_id) <= 80 else user_id[:77] + "...")
