"""Safe expansion of uploaded zip files."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest

from sqlflow_magic.server.lineage.input.archives import ArchiveError, expand_zip

pytestmark = pytest.mark.unit


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def test_normal_zip_with_nested_directories() -> None:
    data = _zip({"a.sql": b"SELECT 1;", "etl/daily/b.SQL": b"SELECT 2;", "etl/": b""})
    expansion = expand_zip(data)
    assert expansion.members == [("a.sql", b"SELECT 1;"), ("etl/daily/b.SQL", b"SELECT 2;")]
    assert expansion.skipped == []


def test_non_sql_members_are_skipped_and_reported() -> None:
    expansion = expand_zip(_zip({"a.sql": b"SELECT 1;", "README.md": b"hi", "nested.zip": b"PK"}))
    assert [name for name, _ in expansion.members] == ["a.sql"]
    assert [(s.name, s.reason) for s in expansion.skipped] == [
        ("README.md", "not a .sql file"),
        ("nested.zip", "not a .sql file"),
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.sql", "'..'"),
        ("etl/../../evil.sql", "'..'"),
        ("..\\windows.sql", "'..'"),
        ("/etc/passwd.sql", "absolute"),
        ("\\\\server\\share.sql", "absolute"),
        ("C:/temp/x.sql", "absolute"),
    ],
)
def test_unsafe_names_are_refused(name: str, reason: str) -> None:
    expansion = expand_zip(_zip({name: b"SELECT 1;", "ok.sql": b"SELECT 2;"}))
    assert [n for n, _ in expansion.members] == ["ok.sql"]
    [skipped] = expansion.skipped
    assert skipped.name == name and reason in skipped.reason and "unsafe path" in skipped.reason


def test_a_member_without_a_name_is_skipped() -> None:
    # a central directory entry whose name is empty, as the fuzz tier sent one (zipfile reads it as "")
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(entry), 0, 0)
    assert [(s.name, s.reason) for s in expand_zip(entry + end).skipped] == [("", "not a .sql file")]


def test_zip_bomb_is_refused() -> None:
    bomb = _zip({"bomb.sql": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(ArchiveError, match="zip bomb"):
        expand_zip(bomb)


def test_total_size_limit_counts_real_bytes() -> None:
    members = {f"f{i}.sql": random.Random(i).randbytes(100_000) for i in range(5)}  # 100 KB each, incompressible
    data = _zip(members)
    assert len(expand_zip(data, max_total_bytes=600_000).members) == 5
    with pytest.raises(ArchiveError, match="exceed 300000 bytes"):
        expand_zip(data, max_total_bytes=300_000)


def test_header_that_lies_about_sizes_is_refused() -> None:
    data = bytearray(_zip({"a.sql": b"SELECT 1; " * 5000}))
    # Shrink the uncompressed size declared in the central directory (offset 24 in its record).
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    with pytest.raises(ArchiveError):
        expand_zip(bytes(data))


def test_too_many_members() -> None:
    data = _zip({f"q{i}.sql": b"SELECT 1;" for i in range(30)}, zipfile.ZIP_STORED)
    assert len(expand_zip(data, max_members=30).members) == 30
    with pytest.raises(ArchiveError, match="more than the limit of 29"):
        expand_zip(data, max_members=29)


@pytest.mark.parametrize(
    "data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40], ids=["empty", "text", "truncated"]
)
def test_corrupt_archives(data: bytes) -> None:
    with pytest.raises(ArchiveError, match="not a readable zip"):
        expand_zip(data)


def test_corrupt_member_data() -> None:
    data = bytearray(_zip({"a.sql": b"".join(b"SELECT %d; " % i for i in range(500))}))  # within the ratio limit
    start = data.find(b"a.sql") + len("a.sql")
    data[start + 5 : start + 25] = b"\xff" * 20  # inside the deflated stream
    with pytest.raises(ArchiveError, match="corrupt"):
        expand_zip(bytes(data))
