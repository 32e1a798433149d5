"""Expand an uploaded ``.zip`` of SQL files in memory, safely (no disk writes, bounded work).

Per-archive limits: number of entries, total uncompressed SQL, and the compression ratio of **every**
``.sql`` member, however small (a thousand small members at 400:1 are as much a bomb as one big one).
They are checked twice: first on what the central directory declares, before anything is inflated
(:func:`survey_zip`), then on the bytes actually produced, counted while inflating
(:func:`expand_zip`), since the declared sizes are the sender's word. Past one of them,
:class:`ArchiveLimitError`. A ``budget`` given to :func:`expand_zip` is charged each member and each
inflated chunk as they come, so a request or a job can stop the expansion at its own limits
(``server/budgets.py``).

Only stored and deflated members are read: zipfile inflates bzip2 and LZMA in unbounded steps, so a
small member of those could fill the memory before any count sees it. Names are only returned, never
used as paths, but absolute names and ``..`` segments are refused anyway, as are non-``.sql``,
encrypted and otherwise compressed members: those are listed in :attr:`ZipExpansion.skipped` with a
reason.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Protocol, TypeAlias

#: A zip as received: its bytes, or a seekable binary file (an upload spooled to disk).
ZipData: TypeAlias = "bytes | IO[bytes]"

DEFAULT_MAX_MEMBERS = 1000
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class ArchiveError(ValueError):
    """The zip cannot be expanded: it is corrupt, a zip bomb, or over a limit. The message says which."""


class ArchiveLimitError(ArchiveError):
    """The zip is over a per-archive limit: too many entries, too much SQL, or a member compressed beyond the ratio."""


class Budget(Protocol):
    """What :func:`expand_zip` charges as it goes; each call may raise to stop the expansion."""

    def add_file(self) -> None:
        """One more SQL file (a ``.sql`` member about to be inflated)."""

    def add_bytes(self, count: int) -> None:
        """``count`` more bytes of SQL, just inflated."""


@dataclass(frozen=True)
class SkippedMember:
    """A member that was not returned, and why."""

    name: str
    reason: str


@dataclass
class ZipExpansion:
    """The ``.sql`` members of a zip as ``(name, bytes)`` in archive order, and the skipped members.

    ``sql_bytes`` is the SQL inflated, also when the members were not kept (``keep=False``).
    """

    members: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[SkippedMember] = field(default_factory=list)
    sql_bytes: int = 0


@dataclass(frozen=True)
class ZipSurvey:
    """What a zip's central directory declares, once its limits are checked: SQL members and their total size."""

    sql_files: int
    declared_bytes: int


@dataclass(frozen=True)
class _Limits:
    max_members: int
    max_total_bytes: int
    max_ratio: float


def survey_zip(
    data: ZipData,
    *,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> ZipSurvey:
    """Check the zip ``data`` on its central directory alone, inflating nothing; return what it declares.

    Raises :class:`ArchiveError` for an unreadable archive and :class:`ArchiveLimitError` past a limit
    (see :func:`expand_zip`). The declared sizes bound what :func:`expand_zip` may produce, which
    checks them again on the real bytes.
    """
    size = _length(data)
    archive, infos = _open(data)
    with archive:
        readable, _skipped = _plan(infos, size, _Limits(max_members, max_total_bytes, max_ratio))
    return ZipSurvey(len(readable), sum(info.file_size for info in readable))


def expand_zip(
    data: ZipData,
    *,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
    budget: Budget | None = None,
    keep: bool = True,
) -> ZipExpansion:
    """Return the ``.sql`` members of the zip ``data`` (with ``keep=False``, only count them).

    Raises :class:`ArchiveError` for a corrupt archive, and :class:`ArchiveLimitError` for more than
    ``max_members`` entries, more than ``max_total_bytes`` of SQL once uncompressed, or a ``.sql``
    member more than ``max_ratio`` times smaller compressed than uncompressed, whatever its size.
    The limits are checked on the central directory before anything is inflated, then on the bytes
    produced. ``budget``, if given, is charged as members are inflated; what it raises stops the
    expansion. On an error, the budget keeps what was charged until then: the work already done.
    """
    limits = _Limits(max_members, max_total_bytes, max_ratio)
    size = _length(data)
    archive, infos = _open(data)
    expansion = ZipExpansion()
    with archive:
        readable, expansion.skipped = _plan(infos, size, limits)
        for info in readable:
            if budget is not None:
                budget.add_file()
            content = _read(archive, info, _compressed_bound(info, size), limits, expansion, budget, keep)
            expansion.members.append((info.filename, content))
    return expansion


def _length(data: ZipData) -> int:
    """The size of the archive in bytes."""
    if isinstance(data, bytes):
        return len(data)
    size = data.seek(0, io.SEEK_END)
    data.seek(0)
    return size


def _open(data: ZipData) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
        return archive, archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ArchiveError(f"not a readable zip archive: {exc}") from exc


def _plan(
    infos: list[zipfile.ZipInfo], size: int, limits: _Limits
) -> tuple[list[zipfile.ZipInfo], list[SkippedMember]]:
    """The members to inflate and the skipped ones, once the limits hold for what the headers declare."""
    if len(infos) > limits.max_members:
        raise ArchiveLimitError(f"the zip has {len(infos)} entries, more than the limit of {limits.max_members}")
    readable: list[zipfile.ZipInfo] = []
    skipped: list[SkippedMember] = []
    for info in infos:
        if info.filename.endswith("/"):  # a folder; ZipInfo.is_dir() fails on a member without a name
            continue
        reason = _refusal(info)
        if reason is not None:
            skipped.append(SkippedMember(info.filename, reason))
            continue
        compressed = _compressed_bound(info, size)
        if info.file_size > limits.max_ratio * compressed:
            raise ArchiveLimitError(
                f"{info.filename}: compression ratio above {limits.max_ratio:g}:1 (a zip bomb?): "
                f"{compressed} bytes inflate to {info.file_size}"
            )
        readable.append(info)
    declared = sum(info.file_size for info in readable)
    if declared > limits.max_total_bytes:
        raise ArchiveLimitError(
            f"the SQL files of the zip exceed {limits.max_total_bytes} bytes uncompressed (they declare {declared})"
        )
    return readable, skipped


def _compressed_bound(info: zipfile.ZipInfo, size: int) -> int:
    """The member's compressed size, at most what the archive holds after its header (the header may lie)."""
    return max(1, min(info.compress_size, size - info.header_offset))


def _refusal(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "unsafe path: absolute name"
    if ".." in parts:
        return "unsafe path: '..' (parent directory) in the name"
    if not name.lower().endswith(".sql"):
        return "not a .sql file"
    if info.flag_bits & 0x1:
        return "encrypted member"
    if info.compress_type not in _READABLE_METHODS:
        return f"compression method {info.compress_type} is not read (re-create the zip with deflate)"
    return None


def _read(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    compressed: int,
    limits: _Limits,
    expansion: ZipExpansion,
    budget: Budget | None,
    keep: bool,
) -> bytes:
    """Inflate one member, counting the bytes actually produced against the limits and the budget."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                expansion.sql_bytes += len(chunk)
                if budget is not None:
                    budget.add_bytes(len(chunk))
                if expansion.sql_bytes > limits.max_total_bytes:
                    raise ArchiveLimitError(
                        f"the SQL files of the zip exceed {limits.max_total_bytes} bytes uncompressed"
                    )
                if size > limits.max_ratio * compressed:
                    raise ArchiveLimitError(f"{info.filename}: inflates beyond {limits.max_ratio:g}:1 (a zip bomb?)")
                if size > info.file_size:
                    raise ArchiveError(f"{info.filename}: more data than its header declares (corrupt zip)")
                if keep:
                    chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise ArchiveError(f"{info.filename}: corrupt member: {exc}") from exc
    return b"".join(chunks)
