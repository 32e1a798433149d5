"""The records the job store hands out (jobs and their SQL files), and the tables it keeps them in."""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlflow_magic.server.budgets import SqlLimit, SqlVolume

#: StoredJob columns a submit may set (the ``options`` of ``JobStore.create_job``).
OPTION_COLUMNS = frozenset(
    {
        "incremental",
        "default_database",
        "default_schema",
        "hostname",
        "port",
        "database",
        "account",
        "schedulable",
        "cron_expression",
        "on_top",
        "sqlsource",
        "extra",
    }
)

#: The job store's tables: jobs, their files in upload order (a file's first MiB in ``files.content``, the rest
#: in ``file_chunks``, see ``server/stored_files.py``), their results (by kind) and settings.
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    job_name TEXT NOT NULL,
    db_vendor TEXT NOT NULL,
    status TEXT NOT NULL,
    persist INTEGER NOT NULL,
    incremental INTEGER NOT NULL DEFAULT 1,
    default_database TEXT,
    default_schema TEXT,
    hostname TEXT,
    port INTEGER,
    database TEXT,
    account TEXT,
    schedulable INTEGER NOT NULL DEFAULT 0,
    cron_expression TEXT,
    on_top INTEGER NOT NULL DEFAULT 0,
    sqlsource TEXT,
    extra TEXT,
    error_message TEXT,
    session_id TEXT,
    execute_time_millis INTEGER NOT NULL DEFAULT 0,
    last_execute_time TEXT,
    version TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    create_time TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user_id, status);
CREATE INDEX IF NOT EXISTS jobs_by_status_age ON jobs (status, updated_at);
CREATE TABLE IF NOT EXISTS files (
    job_id TEXT NOT NULL REFERENCES jobs (job_id),
    seq INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content BLOB NOT NULL,
    sql_bytes INTEGER,
    sql_files INTEGER,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS file_chunks (
    job_id TEXT NOT NULL REFERENCES jobs (job_id),
    seq INTEGER NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, seq, part)
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL REFERENCES jobs (job_id),
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (job_id, kind)
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Columns added since the first schema, as ``(table, column, type)``: a store opened on an older file adds
#: them. ``files.sql_bytes``/``sql_files`` are the SQL a file expands to (server/budgets.py); NULL for a file
#: stored before they were counted, which then counts as its stored size and one file.
ADDED_COLUMNS = (("files", "sql_bytes", "INTEGER"), ("files", "sql_files", "INTEGER"))


def add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring a file made by an older version up to the schema: add the :data:`ADDED_COLUMNS` it lacks."""
    for table, column, kind in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def job_volume(conn: sqlite3.Connection, job_id: str) -> SqlVolume:
    """The SQL a job's files expand to; a file stored before it was counted counts as its stored size and one file.

    That undercounts an old zip: the analysis process charges the job's budget again as it expands it.
    """
    row = conn.execute(
        "SELECT COALESCE(SUM(COALESCE(sql_bytes, LENGTH(content))), 0), COALESCE(SUM(COALESCE(sql_files, 1)), 0) "
        "FROM files WHERE job_id = ?", (job_id,)).fetchone()
    return SqlVolume(int(row[0]), int(row[1]))

def now_timestamp() -> str:
    """Return the local time as SQLFlow writes it: ``yyyy-MM-dd HH:mm:ss``."""
    return time.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class SqlFile:
    """One uploaded SQL file (``.sql`` text or a ``.zip``), exactly as received."""

    filename: str
    content: bytes

    @property
    def size(self) -> int:
        """The content's length in bytes."""
        return len(self.content)

    def open_binary(self) -> IO[bytes]:
        """The content as a binary stream (what the budgets measure a file from)."""
        return io.BytesIO(self.content)

    def chunks(self, size: int) -> Iterator[bytes]:
        """The content, ``size`` bytes at a time (what the job store writes files from)."""
        for start in range(0, len(self.content), size):
            yield self.content[start : start + size]


@dataclass(frozen=True)
class SqlFileOnDisk:
    """An uploaded file too large to hand over in memory: the analysis process reads it from ``path``."""

    filename: str
    path: str

    def read(self) -> SqlFile:
        """The file with its content."""
        return SqlFile(self.filename, Path(self.path).read_bytes())


@dataclass(frozen=True)
class StoredJob:
    """A row of the ``jobs`` table plus the names of the job's files, in upload order.

    ``revision`` grows by one at every submit that changes the files, so a worker can tell
    whether the files changed while it analysed them.
    """

    job_id: str
    user_id: str
    job_name: str
    db_vendor: str
    status: str
    persist: bool
    incremental: bool
    default_database: str | None
    default_schema: str | None
    hostname: str | None
    port: int | None
    database: str | None
    account: str | None
    schedulable: bool
    cron_expression: str | None
    on_top: bool
    sqlsource: str | None
    extra: str | None
    error_message: str | None
    session_id: str | None
    execute_time_millis: int
    last_execute_time: str | None
    version: str
    revision: int
    create_time: str
    updated_at: str
    file_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisRequest:
    """What one analysis needs: a job's files, or the SQL of a request. It is pickled to an analysis process.

    A job's files are not carried: ``store_path`` names the job store, and the analysis process reads the
    files of ``job_id`` from it, so that no file passes through the server's memory on its way there.
    """

    files: tuple[SqlFile | SqlFileOnDisk, ...]
    dbvendor: str
    default_database: str | None = None
    default_schema: str | None = None
    time_limit_seconds: float | None = None
    job_id: str | None = None
    #: The budget the expanded SQL must keep to (the job's, or the request's); None: none.
    sql_limit: SqlLimit | None = None
    store_path: str | None = None
