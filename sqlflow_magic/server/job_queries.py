"""Reading jobs from the ``jobs`` table: one by id, a user's list, those with a status.

The functions run inside one of :class:`~sqlflow_magic.server.store.JobStore`'s transactions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from sqlflow_magic.protocol import JobStatus
from sqlflow_magic.server.records import StoredJob

__all__ = ["UnknownJobError", "jobs_with_status", "read_job", "user_jobs"]

_BOOL_COLUMNS = frozenset(f.name for f in fields(StoredJob) if f.type == "bool")


class UnknownJobError(KeyError):
    """No job has this id (or it was deleted)."""


def read_job(conn: sqlite3.Connection, job_id: str) -> StoredJob:
    """The job ``job_id`` (deleted ones too) with its file names; raises :class:`UnknownJobError` if none."""
    row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise UnknownJobError(job_id)
    names = conn.execute("SELECT filename FROM files WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall()
    values = {key: (bool(row[key]) if key in _BOOL_COLUMNS else row[key]) for key in row.keys()}
    return StoredJob(**values, file_names=tuple(name[0] for name in names))  # type: ignore[arg-type]


def user_jobs(conn: sqlite3.Connection, user_id: str) -> list[StoredJob]:
    """A user's jobs that are not deleted: pinned (``on_top``) first, then newest first."""
    ids = conn.execute(
        "SELECT job_id FROM jobs WHERE user_id = ? AND status != ? ORDER BY on_top DESC, create_time DESC, rowid DESC",
        (user_id, JobStatus.DELETE),
    ).fetchall()
    return [read_job(conn, row[0]) for row in ids]


def jobs_with_status(conn: sqlite3.Connection, status: str, limit: int | None) -> list[StoredJob]:
    """The jobs with ``status``, oldest first; only the first ``limit`` (None: all)."""
    query = "SELECT job_id FROM jobs WHERE status = ? ORDER BY updated_at, rowid"
    if limit is None:
        ids = conn.execute(query, (status,)).fetchall()
    else:
        ids = conn.execute(query + " LIMIT ?", (status, limit)).fetchall()
    return [read_job(conn, row[0]) for row in ids]
