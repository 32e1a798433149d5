"""The token-signing key: a file of its own beside the job database, ``0600``, never in the database.

The key of the database ``jobs.sqlite3`` is in ``jobs.sqlite3.signing-key``: 64 random URL-safe characters
made at the first start, created ``0600`` from its first instant (``server/private_files.py``). Every server
on that database (two notebook kernels, ``sqlflow-magic serve``) signs with it, so tokens outlive restarts.

* **From an older version**, which kept the key in the database's ``settings`` table: the first start moves
  it into the file and deletes it from the database (its bytes overwritten), so existing tokens keep working.
* **Rotation** (``sqlflow-magic rotate-signing-key --db PATH``, :func:`rotate_signing_key`) replaces the file
  in one step. Servers notice the change at their next token check (one ``stat``, as for the users file), so
  every token signed with the old key is refused at once; a client that holds its secret key gets a new token
  on the 403 (``SQLFlowClient`` does so by itself).
* A key file that disappears while a server runs is made again, a new key: the same as a rotation. One that
  becomes unreadable or not a key makes the server sign with a key of its own memory until the file is fixed:
  old tokens are refused rather than trusted, and the log says what is wrong.
* ``ServerConfig.jwt_secret``, when given, is used instead and no file is made.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from sqlflow_magic.server.private_files import (
    create_private_file,
    file_version,
    make_private,
    owned_by_someone_else,
    replace_private_file,
)

logger = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".signing-key"
#: What the key of an older version is called in the job database's ``settings`` table.
LEGACY_SETTING = "jwt_secret"
#: Shorter keys are refused: HS256 wants at least 32 bytes.
MIN_KEY_LENGTH = 32


class SigningKeyError(ValueError):
    """The signing key file cannot be used; the message names the file and the fix, never the key."""


def signing_key_path(db_path: Path) -> Path:
    """The signing key file of the job database ``db_path``: ``<db_path>.signing-key`` beside it."""
    return db_path.with_name(db_path.name + KEY_FILE_SUFFIX)


def new_key() -> str:
    """A new random signing key (48 bytes, 64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def _rotate_hint(path: Path) -> str:
    database = path.with_name(path.name[: -len(KEY_FILE_SUFFIX)]) if path.name.endswith(KEY_FILE_SUFFIX) else path
    return f"run sqlflow-magic rotate-signing-key --db {database}"


def read_signing_key(path: Path) -> str:
    """The key in the file ``path``; raise :class:`SigningKeyError` if it cannot be used.

    A file of another user is refused (someone who can write to the folder may have put it there). A file
    that others could read is made ``0600``, with a warning that they may have read it."""
    try:
        if owned_by_someone_else(path):
            raise SigningKeyError(f"the signing key file {path} belongs to another user: remove it and "
                                  f"{_rotate_hint(path)}")
        make_private([path], "the signing key file")
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
        raise SigningKeyError(f"cannot read the signing key file {path} ({reason}): {_rotate_hint(path)}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise SigningKeyError(f"the signing key file {path} holds no key of at least {MIN_KEY_LENGTH} characters: "
                              f"{_rotate_hint(path)}")
    return key


def load_or_create_signing_key(path: Path) -> str:
    """The key in ``path``; a new one, stored there first, if there is no such file.

    Servers starting together on one database agree on one key: the file is created whole or not at all."""
    try:
        return read_signing_key(path)
    except FileNotFoundError:
        pass
    key = new_key()
    if create_private_file(path, f"{key}\n".encode("ascii")):
        return key
    return read_signing_key(path)  # another server made it first


def adopt_legacy_key(path: Path, key: str) -> None:
    """Move a key an older version kept in the database into the file ``path``, unless it has one already."""
    if create_private_file(path, f"{key.strip()}\n".encode("ascii")):
        logger.warning("the token-signing key moved from the job database into %s (0600); if other users could "
                       "read the database before, %s to end every token signed with it", path, _rotate_hint(path))


def rotate_signing_key(path: Path) -> None:
    """Replace the key in ``path`` with a new one, in one step; every token signed with the old one ends."""
    replace_private_file(path, f"{new_key()}\n".encode("ascii"))



class SigningKey:
    """The signing key of one job database, kept current with its file: call :meth:`current` for it.

    Read (or made) at once, so that a bad key file stops the server at start with its message. Each
    :meth:`current` compares the file's modification time, size and inode with those last read (one
    ``stat``) and reads it again when they change. The key never shows in a repr or a log.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key = load_or_create_signing_key(path)
        self._read_version = file_version(path)

    def __repr__(self) -> str:
        return f"SigningKey(path={self.path})"

    def current(self) -> str:
        """The key to sign and check tokens with now."""
        version = file_version(self.path)
        if version != self._read_version:
            self._reload()
        return self._key

    def _reload(self) -> None:
        try:
            self._key = load_or_create_signing_key(self.path)
        except SigningKeyError as exc:
            self._key = new_key()
            logger.warning("%s; until then tokens are signed with a key the server keeps in memory, and every "
                           "token signed before is refused", exc)
        else:
            logger.warning("the signing key file %s changed: every token signed before is refused", self.path)
        self._read_version = file_version(self.path)
