"""Who may ask the local server for tokens: the users and their secret keys, kept current with the users file."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from sqlflow_magic.server.config import UsersFileError, load_users_file
from sqlflow_magic.server.private_files import FileVersion, file_version

logger = logging.getLogger(__name__)


class UserDirectory:
    """The users (``userId`` -> secret key) the server knows.

    Given a users file, it reads it again when the file changes: each :meth:`key_of` compares the
    file's modification time, size and inode with those last read (one ``stat``), and
    :meth:`request_reload` (``sqlflow-magic serve`` calls it on SIGHUP) makes the next one read it
    whatever they are. A file that cannot be read or is not valid leaves no keyed user at all until
    it is fixed, so that an edit meant to revoke a key never leaves the old one working; a warning
    says what is wrong (never a key). Keys never show in a repr or a log.
    """

    def __init__(self, users: Mapping[str, str] | None = None, path: Path | None = None) -> None:
        self._path = path
        self._users: dict[str, str] = dict(users or {})
        self._read_version: FileVersion | None = None
        self._reload_requested = False
        if path is not None:
            self._read_version = file_version(path)
            self._users = load_users_file(path)  # at start, a bad file stops the server with its message

    def __repr__(self) -> str:
        return f"UserDirectory(users={len(self._users)}, path={self._path})"

    def request_reload(self) -> None:
        """Read the users file again before the next lookup, even if it looks unchanged (SIGHUP)."""
        self._reload_requested = True

    def key_of(self, user_id: str) -> str | None:
        """The current secret key of ``user_id``, or None for a user the server does not know."""
        if self._path is not None:
            self._refresh(self._path)
        return self._users.get(user_id)

    def _refresh(self, path: Path) -> None:
        version = file_version(path)
        if version == self._read_version and not self._reload_requested:
            return
        self._reload_requested = False
        self._read_version = version
        try:
            self._users = load_users_file(path)
        except UsersFileError as exc:
            self._users = {}
            logger.warning("%s; no user can get or use a token until it is fixed", exc)
            return
        logger.info("users file %s read again: %d users", path, len(self._users))
