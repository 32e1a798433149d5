"""Hostile uploads, built in memory: zip bombs, zips with escaping paths, a huge line, absurd nesting, the 48 zips
of issue 17 (small members that expand to gigabytes together)."""

from __future__ import annotations

import io
import random
import struct
import zipfile

MIB = 1024 * 1024
_CENTRAL_HEADER = b"PK\x01\x02"


def zip_bomb(megabytes: int = 1024) -> bytes:
    """A zip whose one member ``bomb.sql`` inflates to ``megabytes`` MiB of zeros (ratio about 230:1)."""
    buffer = io.BytesIO()
    zeros = bytes(MIB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("bomb.sql", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)
    return buffer.getvalue()


def lying_zip_bomb(megabytes: int = 64, declared: int = 1000) -> bytes:
    """A zip bomb whose central directory claims the member is only ``declared`` bytes (dodges a header check)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("small.sql", bytes(megabytes * MIB))
    data = bytearray(buffer.getvalue())
    central = data.index(_CENTRAL_HEADER)
    struct.pack_into("<I", data, central + 24, declared)  # "uncompressed size" of the central directory entry
    return bytes(data)


def escaping_zip(absolute_target: str) -> tuple[bytes, list[str]]:
    """A zip with members named ``../``, ``../../``, an absolute path, a drive path, and one good ``ok.sql``.

    Returns the archive and the names of the hostile members (``ZipInfo`` keeps names as given, unlike
    ``ZipFile.write``, which would clean them).
    """
    hostile = ["../escape.sql", "../../escape-twice.sql", absolute_target, "C:/windows/escape.sql", "a/../../up.sql"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in hostile:
            archive.writestr(zipfile.ZipInfo(name), b"insert into escaped select a from t;")
        archive.writestr(zipfile.ZipInfo("ok.sql"), b"insert into t2 (a) select a from t1;")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as check:  # the test relies on the names surviving
        assert check.namelist() == [*hostile, "ok.sql"], check.namelist()
    return buffer.getvalue(), hostile


def huge_line(size: int = 20 * MIB) -> bytes:
    """One statement of exactly ``size`` bytes without a newline: a select list of millions of columns."""
    head, tail = b"insert into wide select ", b" from src;"
    columns = bytearray()
    number = 0
    budget = size - len(head) - len(tail)
    while len(columns) < budget:
        columns += b"c%d, " % number
        number += 1
    body = bytes(columns[:budget]).rstrip(b", ")
    line = head + body + b" " * (budget - len(body)) + tail
    assert len(line) == size and b"\n" not in line
    return line


def nested_parentheses(depth: int = 5000) -> bytes:
    """``select ((((...1...)))) from dual`` with ``depth`` parentheses."""
    return b"select " + b"(" * depth + b"1" + b")" * depth + b" from dual;"


def nested_subqueries(depth: int = 5000) -> bytes:
    """``insert into x select a from (select a from (... t ...) s1) s0`` nested ``depth`` times."""
    opening = b"".join(b"select a from (" for _ in range(depth))
    closing = b"".join(b") s%d" % level for level in range(depth))
    return b"insert into x " + opening + b"select a from t" + closing + b";"


def compressible_sql(size: int, *, block: int = 1000, seed: int = 0) -> bytes:
    """``size`` bytes of SQL that deflate 75:1 to 90:1 (within a 100:1 ratio limit, at any size): the same
    statement in runs of ``block`` bytes, each run with a random literal of its own."""
    rnd = random.Random(seed)
    head = b"insert into target_table (a, b, c) select a, b, c from source_table where k = '"
    out = bytearray()
    while len(out) < size:
        statement = head + b"%08x';\n" % rnd.getrandbits(32)
        out += statement * max(1, block // len(statement))
    return bytes(out[:size])


def repetitive_sql(size: int) -> bytes:
    """``size`` bytes of one statement over and over: it deflates about 180:1."""
    line = b"insert into target_table (a, b) select a, b from source_table;\n"
    return (line * (size // len(line) + 1))[:size]


def many_member_zip(member: bytes, members: int = 1000) -> bytes:
    """A zip of ``members`` copies of ``member`` (``q0000.sql``, ...), each compressed on its own."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(members):
            archive.writestr(f"q{number:04d}.sql", member)
    return buffer.getvalue()


def zips_like_issue_17(count: int = 48, *, within_ratio: bool = False) -> list[tuple[str, bytes]]:
    """``count`` zips of 1,000 members of 64 KiB each: 62.5 MiB of SQL per zip, 2.93 GiB for 48.

    As in issue 17 each member is small, so a ratio check that spared members under 1 MiB let them
    through at about 180:1; ``within_ratio`` makes them deflate about 87:1 instead (a bigger upload,
    34 MiB for 48), within any per-member ratio check, so that only a budget stops them.
    """
    member = compressible_sql(64 * 1024, block=1300) if within_ratio else repetitive_sql(64 * 1024)  # 87:1
    archive = many_member_zip(member)  # one archive, sent ``count`` times under different names
    return [(f"part{number:02d}.zip", archive) for number in range(count)]
