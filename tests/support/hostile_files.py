"""Hostile uploads, built in memory: zip bombs, zips with escaping paths, a huge line, absurd nesting."""

from __future__ import annotations

import io
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
