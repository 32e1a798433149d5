"""The SQL files of jobs in the job store, written and read a chunk at a time.

A file's first :data:`CHUNK_BYTES` are in ``files.content`` (all of a small file, as ever), and the rest
in ``file_chunks`` rows of :data:`CHUNK_BYTES` each. So a large upload goes from its spooled temporary
file into SQLite without ever being whole in the server's memory (SQLite's incremental blob API would
need Python 3.11), and the analysis process reads a job's files from the store itself
(:func:`read_job_files`) rather than through the server. Database files written before chunks existed
hold each file whole in ``files.content``, and read the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from sqlflow_magic.server.budgets import SqlVolume
from sqlflow_magic.server.records import SqlFile

#: The size of one stored piece of a file.
CHUNK_BYTES = 1024 * 1024


class FileSource(Protocol):
    """A file to store: a :class:`~sqlflow_magic.server.records.SqlFile`, or an upload spooled to disk."""

    @property
    def filename(self) -> str: ...

    def chunks(self, size: int) -> Iterator[bytes]:
        """The content from its start, at most ``size`` bytes at a time."""
        ...


def insert_files(conn: sqlite3.Connection, job_id: str, files: Sequence[FileSource], first_seq: int,
                 volumes: Sequence[SqlVolume] | None = None) -> None:
    """Add ``files`` to a job, numbered from ``first_seq``, inside the caller's transaction.

    ``volumes``: the SQL each file expands to (``server/budgets.py``), kept to count the job's budget."""
    if volumes is not None and len(volumes) != len(files):
        raise ValueError(f"{len(files)} files but {len(volumes)} volumes")
    counted: Sequence[SqlVolume | None] = volumes if volumes is not None else [None] * len(files)
    for seq, (file, volume) in enumerate(zip(files, counted, strict=True), start=first_seq):
        chunks = _pieces(file.chunks(CHUNK_BYTES))
        conn.execute(
            "INSERT INTO files (job_id, seq, filename, content, sql_bytes, sql_files) VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, seq, file.filename, next(chunks, b""), None if volume is None else volume.sql_bytes,
             None if volume is None else volume.sql_files),
        )
        for part, chunk in enumerate(chunks, start=1):
            conn.execute(
                "INSERT INTO file_chunks (job_id, seq, part, data) VALUES (?, ?, ?, ?)", (job_id, seq, part, chunk)
            )


def delete_files(conn: sqlite3.Connection, job_id: str) -> None:
    """Remove all files of a job, inside the caller's transaction."""
    conn.execute("DELETE FROM file_chunks WHERE job_id = ?", (job_id,))
    conn.execute("DELETE FROM files WHERE job_id = ?", (job_id,))


def read_files(conn: sqlite3.Connection, job_id: str) -> list[SqlFile]:
    """A job's files with their exact bytes, in upload order (within the caller's read transaction)."""
    rows = conn.execute("SELECT seq, filename, content FROM files WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall()
    files = []
    for seq, filename, content in rows:
        rest = conn.execute(
            "SELECT data FROM file_chunks WHERE job_id = ? AND seq = ? ORDER BY part", (job_id, seq)
        ).fetchall()
        files.append(SqlFile(filename, bytes(content) if not rest else b"".join([content, *(r[0] for r in rest)])))
    return files


def read_job_files(db_path: str | Path, job_id: str) -> list[SqlFile]:
    """A job's files, read from the job store at ``db_path`` over a read-only connection of its own.

    What an analysis process calls; a job deleted meanwhile has no files.
    """
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("BEGIN")  # one snapshot: the files of one revision of the job
        return read_files(conn, job_id)
    finally:
        conn.close()


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Regroup ``chunks`` into pieces of exactly :data:`CHUNK_BYTES` (the last one shorter)."""
    pending = bytearray()
    for chunk in chunks:
        if not pending and len(chunk) == CHUNK_BYTES:  # what a spooled file gives: passed on as it is
            yield chunk
            continue
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            yield bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
    if pending:
        yield bytes(pending)
