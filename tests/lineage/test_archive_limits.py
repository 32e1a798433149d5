"""The limits of one zip, checked on every member whatever its size, first on the central directory, then
while inflating; and the budget a request or a job charges as members are inflated (issue 17)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from sqlflow_magic.server.lineage.input import archives as archive
from sqlflow_magic.server.lineage.input.archives import ArchiveError, expand_zip
from tests.support.hostile_files import compressible_sql, many_member_zip, repetitive_sql

pytestmark = pytest.mark.unit

KIB = 1024


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as written:
        for name, content in members.items():
            written.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


class CountingBudget:
    """A budget that counts what it is charged and stops the expansion past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.files = 0
        self.bytes = 0

    def add_file(self) -> None:
        self.files += 1

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.max_bytes:
            raise OverBudget(self.bytes)


class OverBudget(Exception):
    pass


@pytest.mark.parametrize("members", [1, 1000], ids=["one 64 KiB member", "a thousand of them"])
def test_small_members_are_held_to_the_ratio_limit_too(members: int) -> None:
    bomb = many_member_zip(repetitive_sql(64 * KIB), members)  # about 180:1, each member far under 1 MiB
    with pytest.raises(ArchiveError, match="zip bomb"):
        expand_zip(bomb)


def test_members_within_the_ratio_limit_expand_whatever_their_size() -> None:
    small, large = compressible_sql(64 * KIB), compressible_sql(3 * 1024 * KIB, seed=1)
    expansion = expand_zip(_zip({"small.sql": small, "large.sql": large}))
    assert expansion.members == [("small.sql", small), ("large.sql", large)]


def test_the_central_directory_is_checked_before_any_member_is_inflated() -> None:
    data = bytearray(_zip({"first.sql": compressible_sql(64 * KIB), "second.sql": repetitive_sql(64 * KIB)}))
    data[60:90] = b"\xff" * 30  # the first member's deflated data: inflating it would fail as corrupt
    with pytest.raises(ArchiveError, match=r"second\.sql: compression ratio above 100:1"):
        expand_zip(bytes(data))


def test_a_survey_reads_only_the_central_directory() -> None:
    data = bytearray(_zip({"a.sql": compressible_sql(64 * KIB), "b.sql": compressible_sql(32 * KIB), "c.md": b"x"}))
    data[50:80] = b"\xff" * 30  # corrupt member data: a survey never reads it
    survey = archive.survey_zip(bytes(data))
    assert (survey.sql_files, survey.declared_bytes) == (2, 96 * KIB)


def test_a_budget_is_charged_while_inflating_and_stops_it_within_a_chunk() -> None:
    data = many_member_zip(compressible_sql(256 * KIB), 8)  # 2 MiB of SQL
    budget = CountingBudget(max_bytes=300 * KIB)
    with pytest.raises(OverBudget):
        expand_zip(data, budget=budget, keep=False)
    assert budget.files == 2 and budget.bytes <= 300 * KIB + 64 * KIB


def test_a_central_directory_that_understates_a_member_cannot_make_it_inflate_more() -> None:
    data = bytearray(_zip({"small.sql": compressible_sql(8 * 1024 * KIB)}))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)  # the member claims 1,000 bytes; it holds 8 MiB
    budget = CountingBudget(max_bytes=64 * 1024 * KIB)
    with pytest.raises(ArchiveError, match="corrupt"):
        expand_zip(bytes(data), budget=budget)
    assert budget.bytes <= 1000  # counted while reading: no more than the header allowed was ever produced


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_members_compressed_in_unbounded_steps_are_skipped_not_inflated(method: int) -> None:
    # zipfile inflates bzip2 and LZMA without an output bound per step: a small member could fill the memory
    expansion = expand_zip(_zip({"a.sql": b"select 1 from dual;\n" * 50}, method))
    assert expansion.members == []
    [skipped] = expansion.skipped
    assert skipped.name == "a.sql" and "compression method" in skipped.reason and "deflate" in skipped.reason
