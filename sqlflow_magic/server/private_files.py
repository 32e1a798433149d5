"""Files only their owner can read: the job database's folder (``0700``), its files and the signing key (``0600``).

Modes are set explicitly (``os.open`` with the mode, then ``chmod``), whatever the process's umask, and the
umask itself is never changed: it belongs to the host process, a notebook kernel for the embedded server.

A folder this module creates is made ``0700``. An existing one is changed only when the caller says it is
ours (the default data folder, ``tighten=True``); any other (a home or project folder given with ``--db``)
is left as it is, with a warning when other users could write to it and so replace its files. A file
created here is ``0600`` from its first instant (``O_CREAT | O_EXCL`` with the mode); an existing one
that others can read is made ``0600``, with a warning naming it. On a system without POSIX modes
(Windows) the modes are ignored; see ``docs/security.md``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
#: Whether this system has POSIX file modes and owners.
POSIX = os.name == "posix"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def private_directory(path: Path, *, tighten: bool = False) -> None:
    """Make sure the folder ``path`` exists; create it (and missing parents) with the folder itself ``0700``.

    ``tighten``: an existing folder that others can enter is made ``0700`` too, with a warning.
    Otherwise an existing folder is not changed; a warning says so if others can write to it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, PRIVATE_DIRECTORY)
    except FileExistsError:
        if POSIX:
            _check_existing_directory(path, tighten)
        return
    if POSIX:
        os.chmod(path, PRIVATE_DIRECTORY)  # the umask may have taken bits from the mode; never added any


def _check_existing_directory(path: Path, tighten: bool) -> None:
    status = os.stat(path)
    mode = stat.S_IMODE(status.st_mode)
    if tighten and mode & 0o077:
        try:
            os.chmod(path, PRIVATE_DIRECTORY)
        except OSError as exc:
            logger.warning("the job database folder %s is open to other users (mode %04o) and cannot be made "
                           "private (%s): run chmod 700 %s", path, mode, exc.strerror, path)
            return
        logger.warning("the job database folder %s was open to other users (mode %04o); it is now 0700", path, mode)
    elif mode & 0o022 and not mode & stat.S_ISVTX:
        logger.warning("other users can write to the job database folder %s (mode %04o) and could replace its "
                       "files: run chmod go-w %s, or give the server a database in a private folder (--db)",
                       path, mode, path)


def make_private(paths: Iterable[Path], what: str) -> None:
    """Make each existing file of ``paths`` ``0600`` if others could read or write it; warn once naming ``what``."""
    if not POSIX:
        return
    loose: list[tuple[Path, int]] = []
    for path in paths:
        try:
            mode = _mode(path)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            loose.append((path, mode))
    for path, mode in loose:
        try:
            os.chmod(path, PRIVATE_FILE)
        except OSError as exc:
            logger.warning("%s %s is open to other users (mode %04o) and cannot be made private (%s): run "
                           "chmod 600 %s", what, path, mode, exc.strerror, path)
            return
    if loose:
        path, mode = loose[0]
        logger.warning("%s %s was open to other users (mode %04o); it is now 0600", what, path, mode)


def create_private_file(path: Path, content: bytes = b"") -> bool:
    """Create ``path`` holding ``content``, ``0600`` from the start; False (nothing written) if it exists.

    The content is written to a new private file beside it, flushed to disk, and then linked to
    ``path`` in one step, so that another process never reads ``path`` half-written.
    """
    if not content:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            return False
        _private_descriptor(descriptor, path)
        os.close(descriptor)
        return True
    with _written_beside(path, content) as written:
        try:
            os.link(written, path)
        except FileExistsError:
            return False
        except OSError:
            if POSIX:
                raise
            os.rename(written, path)  # no hard links on this file system; rename too refuses an existing target
    return True


def replace_private_file(path: Path, content: bytes) -> None:
    """Replace ``path`` with a ``0600`` file holding ``content``, in one step (readers see the old or the new)."""
    with _written_beside(path, content) as written:
        os.replace(written, path)


@contextlib.contextmanager
def _written_beside(path: Path, content: bytes) -> Iterator[Path]:
    """A new ``0600`` file in ``path``'s folder holding ``content`` (flushed to disk), removed afterwards if left."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        _private_descriptor(descriptor, temporary)
        with os.fdopen(descriptor, "wb", closefd=False) as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
    finally:
        os.close(descriptor)
    try:
        yield temporary
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _private_descriptor(descriptor: int, path: Path) -> None:
    if POSIX:
        os.fchmod(descriptor, PRIVATE_FILE)  # exactly 0600, whatever the umask removed


def owned_by_someone_else(path: Path) -> bool:
    """Whether ``path`` belongs to another user than this process's (never on a system without owners)."""
    return POSIX and os.stat(path).st_uid != os.geteuid()


#: What identifies one version of a file: modification time, size and inode.
FileVersion = tuple[int, int, int]


def file_version(path: Path) -> FileVersion | None:
    """The version of a file the server reads again when it changes (the users file, the signing key);
    None if it cannot be read. A copy that kept the old modification time still changes the inode."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino
