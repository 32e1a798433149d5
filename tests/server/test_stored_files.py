"""A job's files in the store, a chunk at a time: spooled uploads in, the same bytes out, for the server and for
the analysis process's read-only connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlflow_magic.server.records import SqlFile
from sqlflow_magic.server.spool import MEMORY_BYTES, SpooledUpload
from sqlflow_magic.server.store import JobStore
from sqlflow_magic.server.stored_files import CHUNK_BYTES, read_job_files
from tests.support.users import ALICE

pytestmark = pytest.mark.unit

JOB = "0123456789abcdef0123456789abcdef"
#: Two and a half chunks of bytes that differ from one chunk to the next.
LARGE = bytes(range(256)) * (CHUNK_BYTES * 5 // 2 // 256) + b"tail"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    opened = JobStore(tmp_path / "jobs.sqlite3")
    yield opened
    opened.close()


def spooled(filename: str, content: bytes, piece: int = 100_000) -> SpooledUpload:
    upload = SpooledUpload(filename)
    for start in range(0, len(content), piece):
        upload.write(content[start : start + piece])
    return upload


def chunk_rows(store: JobStore) -> int:
    with sqlite3.connect(store.path) as conn:
        rows: int = conn.execute("SELECT COUNT(*) FROM file_chunks").fetchone()[0]
    return rows


def test_an_upload_goes_to_disk_past_its_memory_share_and_reads_back_whole() -> None:
    upload = spooled("big.sql", LARGE)
    try:
        assert upload.on_disk and len(LARGE) > MEMORY_BYTES
        assert b"".join(upload.chunks(CHUNK_BYTES)) == LARGE
        assert not spooled("small.sql", b"select 1").on_disk
    finally:
        upload.close()


def test_large_and_small_files_come_back_byte_for_byte(store: JobStore) -> None:
    files = [spooled("big.sql", LARGE), SqlFile("small.sql", b"select 1"), SqlFile("empty.sql", b"")]
    store.create_job(JOB, ALICE, "j", "dbvoracle", True, {}, files)
    expected = [SqlFile("big.sql", LARGE), SqlFile("small.sql", b"select 1"), SqlFile("empty.sql", b"")]
    assert store.job_files(JOB) == expected
    assert read_job_files(store.path, JOB) == expected  # what the analysis process reads
    assert chunk_rows(store) == 2  # the big file's first chunk is in files, its other two in file_chunks


def test_replacing_and_deleting_files_drops_their_chunks(store: JobStore) -> None:
    store.create_job(JOB, ALICE, "j", "dbvoracle", True, {}, [SqlFile("big.sql", LARGE)])
    store.add_files(JOB, [SqlFile("more.sql", LARGE)], replace=False, changes={})
    assert [file.content for file in store.job_files(JOB)] == [LARGE, LARGE] and chunk_rows(store) == 4
    store.add_files(JOB, [SqlFile("small.sql", b"select 2")], replace=True, changes={})
    assert store.job_files(JOB) == [SqlFile("small.sql", b"select 2")] and chunk_rows(store) == 0
    store.add_files(JOB, [SqlFile("big.sql", LARGE)], replace=False, changes={})
    store.delete_job(JOB)
    assert chunk_rows(store) == 0 and read_job_files(store.path, JOB) == []
