"""The token keeper answers a token it verified from memory, but never past the token's expiry, for another user
or after the user's secret key changed."""

from __future__ import annotations

import time

import pytest

from sqlflow_magic.server import tokens
from sqlflow_magic.server.tokens import TokenError, TokenKeeper, issue_token, key_version

pytestmark = pytest.mark.unit

SECRET = "a-server-signing-key-long-enough-for-hs256-0123456789"
KEY = "sk-alice-7f3a9c1e5b"  # the user's secret key


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature was really checked, in order."""
    checked: list[str] = []
    real = tokens.verify_token

    def counting(secret: str, token: str, user_id: str, version: str | None) -> dict[str, object]:
        checked.append(token)
        return real(secret, token, user_id, version)

    monkeypatch.setattr(tokens, "verify_token", counting)
    return checked


def test_a_verified_token_is_not_checked_again(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    token = keeper.issue("alice", 3600, KEY)
    for _ in range(3):
        keeper.verify(token, "alice", KEY)
    assert signature_checks == [token]


def test_a_remembered_token_is_still_refused_to_another_user(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    token = keeper.issue("alice", 3600, KEY)
    keeper.verify(token, "alice", KEY)
    with pytest.raises(TokenError, match="another userId"):
        keeper.verify(token, "bob", KEY)


def test_a_remembered_token_expires(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    version = key_version(SECRET, KEY)
    token = issue_token(SECRET, "alice", 60, now=time.time() - 59, version=version)  # expires within two seconds
    keeper.verify(token, "alice", KEY)
    expiry = keeper._verified[token][2]
    time.sleep(max(0.0, expiry - time.time()) + 0.05)
    with pytest.raises(TokenError, match="expired"):
        keeper.verify(token, "alice", KEY)
    assert signature_checks == [token, token]  # checked again once its time was up, and refused
    assert token not in keeper._verified


def test_bad_tokens_are_never_remembered(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    forged = issue_token("another-key-long-enough-for-hs256-0123456789abcdef", "alice", 3600)
    for _ in range(2):
        with pytest.raises(TokenError, match="not valid"):
            keeper.verify(forged, "alice", KEY)
    assert signature_checks == [forged, forged]


def test_memory_is_bounded_and_the_secret_stays_out_of_the_repr() -> None:
    keeper = TokenKeeper(SECRET, remembered=2)
    for user in ("a", "b", "c", "d", "e"):
        keeper.verify(keeper.issue(user, 3600, KEY), user, KEY)
    assert len(keeper._verified) <= 2
    assert SECRET not in repr(keeper)


def test_a_remembered_token_is_refused_once_the_key_changes(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    token = keeper.issue("alice", 3600, KEY)
    keeper.verify(token, "alice", KEY)
    with pytest.raises(TokenError, match="no longer"):
        keeper.verify(token, "alice", "sk-alice-new")
    with pytest.raises(TokenError, match="no longer"):  # and is forgotten: the signature is checked again
        keeper.verify(token, "alice", "sk-alice-new")
    assert signature_checks == [token, token]


def test_a_user_without_a_key_has_no_valid_token(signature_checks: list[str]) -> None:
    keeper = TokenKeeper(SECRET)
    token = keeper.issue("alice", 3600, KEY)
    with pytest.raises(TokenError, match="no longer"):
        keeper.verify(token, "alice", None)
    with pytest.raises(TokenError, match="no longer"):  # a token without a key version is refused too
        keeper.verify(issue_token(SECRET, "alice", 3600), "alice", KEY)


def test_the_key_version_hides_the_key() -> None:
    version = key_version(SECRET, KEY)
    assert KEY not in version and version != key_version("another-server-secret", KEY)
    assert key_version(SECRET, None) == ""
