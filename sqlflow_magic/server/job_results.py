"""A job's results: the bodies its analysis produced, one per kind, in the ``job_results`` table.

The kinds are named here (:data:`ERRORS_KIND`, :func:`lineage_kind`); exports are views of the lineage.
The functions run inside one of :class:`~sqlflow_magic.server.store.JobStore`'s transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

__all__ = ["ERRORS_KIND", "drop_results", "lineage_kind", "listed_errors", "read_result", "replace_results",
           "store_result"]

#: The result holding a job's error list: ``{"errors": [...], "errorCount": n}``.
ERRORS_KIND = "errors.json"


def lineage_kind(table_level: bool) -> str:
    """The result holding a job's complete lineage JSON, column or table level, that exports are views of."""
    return "lineage-table.json" if table_level else "lineage.json"


def drop_results(conn: sqlite3.Connection, job_id: str) -> None:
    """Delete every result of a job."""
    conn.execute("DELETE FROM job_results WHERE job_id = ?", (job_id,))


def replace_results(conn: sqlite3.Connection, job_id: str, results: Mapping[str, bytes]) -> None:
    """Replace a job's results with ``results`` (kind -> body)."""
    drop_results(conn, job_id)
    conn.executemany(
        "INSERT INTO job_results (job_id, kind, body) VALUES (?, ?, ?)",
        [(job_id, kind, body) for kind, body in results.items()],
    )


def store_result(conn: sqlite3.Connection, job_id: str, kind: str, body: bytes, *,
                 only_if_session: str | None = None) -> bool:
    """Store (or overwrite) one result; return whether it was stored (``only_if_session``: see ``JobStore``)."""
    condition, params = "", [job_id, kind, body]
    if only_if_session is not None:
        condition, params = " WHERE EXISTS (SELECT 1 FROM jobs WHERE job_id = ? AND session_id = ?)", [
            *params, job_id, only_if_session]
    cursor = conn.execute(f"INSERT OR REPLACE INTO job_results (job_id, kind, body) SELECT ?, ?, ?{condition}", params)
    return cursor.rowcount == 1


def read_result(conn: sqlite3.Connection, job_id: str, kind: str) -> bytes | None:
    """Return a stored result of a job, or None."""
    row = conn.execute("SELECT body FROM job_results WHERE job_id = ? AND kind = ?", (job_id, kind)).fetchone()
    return None if row is None else bytes(row[0])


def listed_errors(body: bytes | None) -> tuple[list[dict[str, Any]], int]:
    """The errors an :data:`ERRORS_KIND` body lists (at most a hundred), and how many the analysis found in all."""
    listed = json.loads(body) if body else {}
    errors = listed.get("errors") or []
    return errors, listed.get("errorCount", len(errors))
