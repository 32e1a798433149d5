"""Durable storage of jobs, their SQL files and results in one SQLite file.

One connection guarded by a lock serves every thread of the server; several processes
(two notebook kernels, say) may share the file thanks to WAL mode and a busy timeout.
Every write is committed with ``synchronous=FULL`` before the method returns, so a job the
server has answered for survives a crash. Database passwords are never stored.

The SQL behind the methods lives beside it: opening and migrating the file in ``store_schema.py``, reading
jobs in ``job_queries.py``, results in ``job_results.py``, SQL files in ``stored_files.py`` and the queue's
rules in ``fair_queue.py``; each runs inside one of the store's transactions.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlflow_magic.protocol import ANALYSED_STATUSES, JobStatus
from sqlflow_magic.server import fair_queue, job_queries, job_results
from sqlflow_magic.server.budgets import SqlLimit, SqlVolume
from sqlflow_magic.server.job_queries import UnknownJobError, read_job
from sqlflow_magic.server.job_results import ERRORS_KIND, lineage_kind
from sqlflow_magic.server.records import OPTION_COLUMNS, SqlFile, StoredJob, job_volume, now_timestamp
from sqlflow_magic.server.store_schema import open_database
from sqlflow_magic.server.stored_files import FileSource, delete_files, insert_files, read_files

# The result kinds and UnknownJobError are the store's vocabulary too: its callers import them from here.
__all__ = ["ERRORS_KIND", "JobStore", "SqlFile", "StoredJob", "UnknownJobError", "lineage_kind"]


class JobStore:
    """Jobs, files, results and settings in the SQLite file ``path`` (created if missing)."""

    def __init__(self, path: str | Path, server_version: str = "") -> None:
        self.path = Path(path)
        self._server_version = server_version
        self._lock = threading.Lock()
        self._conn = open_database(self.path)  # private, at the current schema (server/store_schema.py)

    def close(self) -> None:
        """Close the connection; further calls fail."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a transaction: IMMEDIATE for writes, a consistent snapshot for reads."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # settings ---------------------------------------------------------------------------------

    def take_setting(self, key: str, keep: Callable[[str], None]) -> bool:
        """Remove the setting ``key`` once ``keep(value)`` has returned (in the same transaction: if it raises,
        the setting stays); return whether there was one. Its bytes are overwritten (``secure_delete``) and
        the write-ahead log emptied, so that they stay in neither file (once no other reader holds them)."""
        with self._lock:
            self._conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._transaction() as conn:
                row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
                if row is None:
                    return False
                keep(row[0])
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        finally:
            with self._lock:
                self._conn.execute("PRAGMA secure_delete = OFF")
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    # jobs -------------------------------------------------------------------------------------

    def create_job(
        self,
        job_id: str,
        user_id: str,
        job_name: str,
        db_vendor: str,
        persist: bool,
        options: dict[str, object],
        files: Sequence[FileSource],
        volumes: Sequence[SqlVolume] | None = None,
        *,
        max_queued: int | None = None,
    ) -> StoredJob:
        """Store a new job with status ``create`` and its files (read a chunk at a time); return it.

        ``volumes``: the SQL each file expands to (``server/budgets.py``), kept for the job's budget.
        Raises :class:`~sqlflow_magic.server.fair_queue.QueueFullError`, storing nothing, if the user
        already has ``max_queued`` jobs waiting or being analysed (None: no cap).
        """
        job, _claimed = self.create_job_and_claim(job_id, user_id, job_name, db_vendor, persist, options, files,
                                                  volumes, max_queued=max_queued, claim_exclude=None)
        return job

    def create_job_and_claim(
        self,
        job_id: str,
        user_id: str,
        job_name: str,
        db_vendor: str,
        persist: bool,
        options: dict[str, object],
        files: Sequence[FileSource],
        volumes: Sequence[SqlVolume] | None = None,
        *,
        max_queued: int | None = None,
        claim_exclude: Collection[str] | None = (),
    ) -> tuple[StoredJob, StoredJob | None]:
        """:meth:`create_job`, then (unless ``claim_exclude`` is None) :meth:`claim_next` in the same transaction.

        Returns the job as stored (status ``create``) and the job claimed, if any: the fair queue's next,
        which is the new job unless others wait ahead of it. One commit instead of two, so a worker with
        a free process starts the job without a second write (``server/job_handoff.py``).
        """
        _check_options(options)
        stamp = now_timestamp()
        row = {
            "job_id": job_id,
            "user_id": user_id,
            "job_name": job_name,
            "db_vendor": db_vendor,
            "status": JobStatus.CREATE,
            "persist": persist,
            "version": self._server_version,
            "create_time": stamp,
            "updated_at": stamp,
            **options,
        }
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._transaction() as conn:
            fair_queue.check_room(conn, user_id, max_queued)
            conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({marks})", tuple(row.values()))
            insert_files(conn, job_id, files, first_seq=1, volumes=volumes)
            job = read_job(conn, job_id)
            if claim_exclude is None:
                return job, None
            claimed = fair_queue.claim_next(conn, claim_exclude, now_timestamp())
            return job, None if claimed is None else read_job(conn, claimed)

    def add_files(self, job_id: str, files: Sequence[FileSource], *, replace: bool, changes: dict[str, object],
                  max_queued: int | None = None, volumes: Sequence[SqlVolume] | None = None,
                  limit: SqlLimit | None = None) -> StoredJob:
        """Append ``files`` to a job (or replace its files), apply ``changes`` and reset it to ``create``.

        ``changes`` may set ``job_name``, ``db_vendor`` and any option column. Old results are dropped.
        ``volumes`` is the SQL each file expands to; with a ``limit``, the job's files with the new ones
        must keep to it, checked in the same transaction. Raises :class:`UnknownJobError` if the job does
        not exist or was deleted; :class:`~sqlflow_magic.server.budgets.BudgetExceeded` past ``limit``;
        and :class:`~sqlflow_magic.server.fair_queue.QueueFullError` if the job is finished and its user
        already has ``max_queued`` jobs queued: queuing it again counts like a new job. Either refusal
        stores nothing: the job stays as it was.
        """
        allowed = OPTION_COLUMNS | {"job_name", "db_vendor"}
        if set(changes) - allowed:
            raise ValueError(f"not changeable: {sorted(set(changes) - allowed)}")
        updates = {
            **changes,
            "status": JobStatus.CREATE,
            "error_message": None,
            "updated_at": now_timestamp(),
        }
        assignments = ", ".join(f"{column} = ?" for column in updates)
        with self._transaction() as conn:
            current = read_job(conn, job_id)
            if current.status == JobStatus.DELETE:
                raise UnknownJobError(job_id)
            if not fair_queue.is_queued(current.status):
                fair_queue.check_room(conn, current.user_id, max_queued)
            if limit is not None and volumes is not None:
                held = SqlVolume() if replace else job_volume(conn, job_id)
                limit.check(sum(volumes, SqlVolume()), held=held)
            conn.execute(
                f"UPDATE jobs SET {assignments}, revision = revision + 1 WHERE job_id = ?",
                (*updates.values(), job_id),
            )
            job_results.drop_results(conn, job_id)
            if replace:
                delete_files(conn, job_id)
            last_seq = conn.execute("SELECT MAX(seq) FROM files WHERE job_id = ?", (job_id,)).fetchone()[0]
            insert_files(conn, job_id, files, first_seq=(last_seq or 0) + 1, volumes=volumes)
            return read_job(conn, job_id)

    def job_volume(self, job_id: str) -> SqlVolume:
        """The SQL a job's files expand to, as counted when they were stored (see ``ADDED_COLUMNS``)."""
        with self._transaction(write=False) as conn:
            return job_volume(conn, job_id)

    def get_job(self, job_id: str) -> StoredJob | None:
        """Return the job ``job_id`` (deleted ones too, with status ``delete``), or None."""
        with self._transaction(write=False) as conn:
            try:
                return read_job(conn, job_id)
            except UnknownJobError:
                return None

    def user_jobs(self, user_id: str) -> list[StoredJob]:
        """Return a user's jobs that are not deleted: pinned (``on_top``) first, then newest first."""
        with self._transaction(write=False) as conn:
            return job_queries.user_jobs(conn, user_id)

    def jobs_with_status(self, status: str, *, limit: int | None = None) -> list[StoredJob]:
        """Return the jobs with ``status``, oldest first (the order a worker should take them in).

        ``limit`` reads only the first ones: a worker claiming one job must not read the whole queue.
        """
        with self._transaction(write=False) as conn:
            return job_queries.jobs_with_status(conn, status, limit)

    def claim_next(self, exclude: Collection[str] = ()) -> StoredJob | None:
        """Claim the job the fair queue takes next (``create`` -> ``process``) and return it; None if none waits.

        One transaction (``server/fair_queue.py``), so two workers never claim the same job.
        """
        with self._transaction() as conn:
            job_id = fair_queue.claim_next(conn, exclude, now_timestamp())
            return None if job_id is None else read_job(conn, job_id)

    def delete_job(self, job_id: str) -> StoredJob:
        """Mark a job ``delete`` and drop its files and results; return it as it was, status ``delete``."""
        with self._transaction() as conn:
            job = read_job(conn, job_id)
            conn.execute("UPDATE jobs SET status = ?, updated_at = ? WHERE job_id = ?",
                         (JobStatus.DELETE, now_timestamp(), job_id))
            delete_files(conn, job_id)
            job_results.drop_results(conn, job_id)
        return dataclasses.replace(job, status=JobStatus.DELETE)

    def set_status(
        self,
        job_id: str,
        status: str,
        *,
        error_message: str | None = None,
        session_id: str | None = None,
        execute_time_millis: int | None = None,
        only_if_status: str | None = None,
        only_if_revision: int | None = None,
        results: Mapping[str, bytes] | None = None,
    ) -> bool:
        """Set a job's status (and error, session id, run time); return False if nothing matched.

        ``only_if_status`` / ``only_if_revision`` make the change conditional, so a worker can claim a
        job atomically (``create`` -> ``process``) and not overwrite a newer submit with old results.
        ``results``, if given, replace the job's stored results in the same transaction, and only if
        the change applies. A final status also sets ``last_execute_time``.
        """
        stamp = now_timestamp()
        updates: dict[str, object] = {"status": status, "error_message": error_message, "updated_at": stamp}
        if session_id is not None:
            updates["session_id"] = session_id
        if execute_time_millis is not None:
            updates["execute_time_millis"] = execute_time_millis
        if status in ANALYSED_STATUSES:
            updates["last_execute_time"] = stamp
        where = "job_id = ? AND status != ?"
        params: list[object] = [job_id, JobStatus.DELETE]
        if only_if_status is not None:
            where += " AND status = ?"
            params.append(only_if_status)
        if only_if_revision is not None:
            where += " AND revision = ?"
            params.append(only_if_revision)
        assignments = ", ".join(f"{column} = ?" for column in updates)
        with self._transaction() as conn:
            cursor = conn.execute(f"UPDATE jobs SET {assignments} WHERE {where}", (*updates.values(), *params))
            if cursor.rowcount == 1 and results is not None:
                job_results.replace_results(conn, job_id, results)
            return cursor.rowcount == 1

    # files and results ------------------------------------------------------------------------

    def job_files(self, job_id: str) -> list[SqlFile]:
        """Return a job's files with their exact bytes, in upload order.

        The job worker never calls it: an analysis process reads the files itself (``stored_files.py``)."""
        with self._transaction(write=False) as conn:
            return read_files(conn, job_id)

    def put_result(self, job_id: str, kind: str, body: bytes, *, only_if_session: str | None = None) -> bool:
        """Store (or overwrite) a result of a job, e.g. ``kind="lineage.json"``; return whether it was stored.

        ``only_if_session``: only while the job's session id is this one, i.e. while the analysis the
        result was derived from is still the job's latest.
        """
        with self._transaction() as conn:
            return job_results.store_result(conn, job_id, kind, body, only_if_session=only_if_session)

    def get_result(self, job_id: str, kind: str) -> bytes | None:
        """Return a stored result of a job, or None."""
        with self._transaction(write=False) as conn:
            return job_results.read_result(conn, job_id, kind)

    def job_errors(self, job_id: str) -> tuple[list[dict[str, Any]], int]:
        """The errors the analysis of a job listed (at most a hundred), and how many it found in all."""
        return job_results.listed_errors(self.get_result(job_id, ERRORS_KIND))

    def job_lineage(self, job_id: str, *, table_level: bool) -> bytes | None:
        """The complete lineage JSON of an analysed job, column or table level; None if it has none."""
        return self.get_result(job_id, lineage_kind(table_level))


def _check_options(options: dict[str, object]) -> None:
    unknown = set(options) - OPTION_COLUMNS
    if unknown:
        raise ValueError(f"unknown job options: {sorted(unknown)}")

