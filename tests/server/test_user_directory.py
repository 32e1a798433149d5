"""The users the server knows follow the users file, and their keys never show."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from sqlflow_magic.server.config import UsersFileError
from sqlflow_magic.server.users import UserDirectory
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.unit


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({ALICE: ALICE_SECRET}))
    return path


def test_a_changed_file_is_read_at_the_next_lookup(users_file: Path) -> None:
    users = UserDirectory(path=users_file)
    assert users.key_of(ALICE) == ALICE_SECRET and users.key_of(BOB) is None
    users_file.write_text(json.dumps({BOB: BOB_SECRET}))
    assert users.key_of(ALICE) is None and users.key_of(BOB) == BOB_SECRET


def test_a_reload_request_reads_a_file_that_looks_unchanged(users_file: Path) -> None:
    users = UserDirectory(path=users_file)
    before = os.stat(users_file)
    users_file.write_text(json.dumps({ALICE: "sk-alice-0123456789"}))  # as long as the old key
    os.utime(users_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert users.key_of(ALICE) == ALICE_SECRET
    users.request_reload()
    assert users.key_of(ALICE) == "sk-alice-0123456789"


def test_a_broken_file_leaves_no_user_and_says_why_without_a_key(
    users_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    users = UserDirectory(path=users_file)
    users_file.write_text(json.dumps({ALICE: ""}))
    with caplog.at_level(logging.INFO, logger="sqlflow_magic.server.users"):
        assert users.key_of(ALICE) is None
        users_file.write_text(json.dumps({ALICE: ALICE_SECRET}))
        assert users.key_of(ALICE) == ALICE_SECRET
    assert "must be a non-empty string" in caplog.text and "until it is fixed" in caplog.text
    assert ALICE_SECRET not in caplog.text + repr(users)


def test_a_missing_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(UsersFileError, match="cannot read users file"):
        UserDirectory(path=tmp_path / "missing.json")


def test_without_a_file_the_users_given_stay() -> None:
    users = UserDirectory({ALICE: ALICE_SECRET})
    assert users.key_of(ALICE) == ALICE_SECRET
    assert ALICE_SECRET not in repr(users)
