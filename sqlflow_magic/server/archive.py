"""Expand an uploaded ``.zip`` of SQL files in memory, safely (no disk writes, bounded work).

Limits: number of members, total uncompressed bytes (counted while reading, not trusted from
headers), and compression ratio of large members (zip bombs). Names are only returned, never used
as paths, but absolute names and ``..`` segments are refused anyway, as are non-``.sql`` members:
those are listed in :attr:`ZipExpansion.skipped` with a reason.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

DEFAULT_MAX_MEMBERS = 1000
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
#: Members smaller than this are not held to the ratio limit (tiny files compress absurdly well).
RATIO_EXEMPT_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(ValueError):
    """The zip cannot be expanded: it is corrupt, a zip bomb, or over a limit. The message says which."""


@dataclass(frozen=True)
class SkippedMember:
    """A member that was not returned, and why."""

    name: str
    reason: str


@dataclass
class ZipExpansion:
    """The ``.sql`` members of a zip as ``(name, bytes)`` in archive order, and the skipped members."""

    members: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[SkippedMember] = field(default_factory=list)


def expand_zip(
    data: bytes,
    *,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> ZipExpansion:
    """Return the ``.sql`` members of the zip ``data``.

    Raises :class:`ArchiveError` for a corrupt archive, more than ``max_members`` entries, more than
    ``max_total_bytes`` of SQL once uncompressed, or a member over ``max_ratio`` times smaller
    compressed than uncompressed (beyond :data:`RATIO_EXEMPT_BYTES`).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ArchiveError(f"not a readable zip archive: {exc}") from exc
    if len(infos) > max_members:
        raise ArchiveError(f"the zip has {len(infos)} entries, more than the limit of {max_members}")
    expansion = ZipExpansion()
    total = 0
    with archive:
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            reason = _refusal(info)
            if reason is not None:
                expansion.skipped.append(SkippedMember(name, reason))
                continue
            _check_declared(info, max_ratio)
            content = _read(archive, info, max_total_bytes - total, max_ratio, max_total_bytes)
            total += len(content)
            expansion.members.append((name, content))
    return expansion


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
    return None


def _check_declared(info: zipfile.ZipInfo, max_ratio: float) -> None:
    """Refuse a bomb from its header before inflating anything."""
    if info.file_size > RATIO_EXEMPT_BYTES:
        if info.compress_size == 0 or info.file_size / info.compress_size > max_ratio:
            raise ArchiveError(
                f"{info.filename}: compression ratio above {max_ratio}:1 (a zip bomb?): "
                f"{info.compress_size} bytes inflate to {info.file_size}"
            )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, max_ratio: float, limit: int) -> bytes:
    """Inflate one member, counting the bytes actually produced against the budget and the ratio."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise ArchiveError(f"the SQL files of the zip exceed {limit} bytes uncompressed")
                if size > RATIO_EXEMPT_BYTES and size > max_ratio * max(info.compress_size, 1):
                    raise ArchiveError(f"{info.filename}: inflates beyond {max_ratio}:1 (a zip bomb?)")
                if size > info.file_size:
                    raise ArchiveError(f"{info.filename}: more data than its header declares (corrupt zip)")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise ArchiveError(f"{info.filename}: corrupt member: {exc}") from exc
    return b"".join(chunks)
