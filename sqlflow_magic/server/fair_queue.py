"""The fair queue: which waiting job is analysed next, and how many jobs one user may have queued.

The jobs table is the queue (``create`` = waiting, ``process`` = being analysed). This module holds
the two rules on top of it, as SQL run inside one of :class:`~sqlflow_magic.server.store.JobStore`'s
transactions, so both are atomic across the worker's threads and across processes sharing the file:

- **Round robin across users.** The next job is the oldest waiting job of the user who was served
  least recently among the users with waiting jobs; a user never served comes first. Within one user
  jobs go first in, first out. A user's last turn is a row of the ``queue_turns`` table, written in
  the same transaction as the claim, so the order holds across restarts and ``kill -9``.
- **A cap per user.** A user may have at most ``max_queued_jobs_per_user`` jobs waiting or being
  analysed. A submit past it is refused before anything is stored (:class:`QueueFullError`). A
  submit of more files to a job that is still queued adds no job and is always let in; one to a
  finished job puts that job back in the queue and counts like a new one.

See "The fair queue" in ``docs/server.md``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from sqlflow_magic.protocol import JobStatus

#: The users' turns: the claim counter's value at each user's latest claim (higher = served more recently).
QUEUE_SCHEMA = "CREATE TABLE IF NOT EXISTS queue_turns (user_id TEXT PRIMARY KEY, last_turn INTEGER NOT NULL)"

#: The statuses a job counts towards its user's cap in: waiting or being analysed.
QUEUED_STATUSES = (JobStatus.CREATE.value, JobStatus.PROCESS.value)


class QueueFullError(Exception):
    """A submit would queue more jobs for its user than ``max_queued_jobs_per_user``; nothing was stored."""

    def __init__(self, queued: int, limit: int) -> None:
        super().__init__(
            f"{queued} of your jobs are already waiting or being analysed, the most this server queues per user "
            f"(max_queued_jobs_per_user = {limit}); wait until one of them finishes, then submit again"
        )
        self.queued = queued
        self.limit = limit


def check_room(conn: sqlite3.Connection, user_id: str, limit: int | None) -> None:
    """Raise :class:`QueueFullError` if ``user_id`` already has ``limit`` jobs queued (``None``: no cap)."""
    if limit is None:
        return
    marks = ", ".join("?" for _ in QUEUED_STATUSES)
    queued: int = conn.execute(
        f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND status IN ({marks})", (user_id, *QUEUED_STATUSES)
    ).fetchone()[0]
    if queued >= limit:
        raise QueueFullError(queued, limit)


def is_queued(status: str) -> bool:
    """Whether a job in ``status`` counts towards its user's cap."""
    return status in QUEUED_STATUSES


def claim_next(conn: sqlite3.Connection, exclude: Collection[str], stamp: str) -> str | None:
    """Claim the job the round robin takes next (``create`` -> ``process`` at ``stamp``) and return its id.

    None if no job (other than ``exclude``) waits. ``exclude``: jobs that must wait although they are
    ``create`` (a previous revision is still being analysed). Every job of one user shares that user's
    turn, so the first row is the oldest job of the user served least recently. The user's turn is
    taken in the same transaction (the caller's), so the order survives a crash.
    """
    # This sorts every waiting job: about 1 ms per 1,000 of them, a number the cap per user bounds.
    skip = ""
    if exclude:
        skip = f" AND jobs.job_id NOT IN ({', '.join('?' for _ in exclude)})"
    row = conn.execute(
        "SELECT jobs.job_id, jobs.user_id FROM jobs LEFT JOIN queue_turns ON queue_turns.user_id = jobs.user_id "
        f"WHERE jobs.status = ?{skip} "
        "ORDER BY COALESCE(queue_turns.last_turn, 0), jobs.updated_at, jobs.rowid LIMIT 1",
        (JobStatus.CREATE.value, *exclude),
    ).fetchone()
    if row is None:
        return None
    job_id, user_id = str(row[0]), str(row[1])
    conn.execute("UPDATE jobs SET status = ?, error_message = NULL, updated_at = ? WHERE job_id = ?",
                 (JobStatus.PROCESS.value, stamp, job_id))
    # the user goes to the back of the round robin
    conn.execute(
        "INSERT OR REPLACE INTO queue_turns (user_id, last_turn) "
        "VALUES (?, (SELECT COALESCE(MAX(last_turn), 0) + 1 FROM queue_turns))",
        (user_id,),
    )
    return job_id
