"""A server's signing key follows its file: a new key ends the old tokens, a missing file is made again, and a
file that is not a key is never trusted (``server/signing_key.py``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from sqlflow_magic.server.signing_key import SigningKey, SigningKeyError, load_or_create_signing_key, rotate_signing_key

pytestmark = pytest.mark.unit


def test_a_rotated_key_is_used_from_the_next_check(tmp_path: Path) -> None:
    key = SigningKey(tmp_path / "jobs.sqlite3.signing-key")
    first = key.current()
    rotate_signing_key(key.path)
    assert key.current() != first
    assert key.current() == key.path.read_text().strip()


def test_a_removed_key_file_is_made_again_with_a_new_key(tmp_path: Path) -> None:
    key = SigningKey(tmp_path / "jobs.sqlite3.signing-key")
    first = key.current()
    key.path.unlink()
    assert key.current() != first and key.path.read_text().strip() == key.current()


def test_a_key_file_that_becomes_no_key_is_not_trusted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = SigningKey(tmp_path / "jobs.sqlite3.signing-key")
    first = key.current()
    key.path.write_text("short")
    with caplog.at_level(logging.WARNING, logger="sqlflow_magic"):
        in_memory = key.current()
    assert in_memory not in (first, "short") and key.current() == in_memory
    assert "holds no key" in caplog.text and first not in caplog.text and in_memory not in caplog.text


def test_a_key_file_that_is_not_a_key_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3.signing-key"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(SigningKeyError, match=r"cannot read the signing key file .* rotate-signing-key --db"):
        load_or_create_signing_key(path)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_others_could_read_is_made_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "jobs.sqlite3.signing-key"
    key = load_or_create_signing_key(path)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="sqlflow_magic"):
        assert load_or_create_signing_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600 and "was open to other users (mode 0644)" in caplog.text
