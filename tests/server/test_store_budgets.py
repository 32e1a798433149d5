"""The job store keeps what each file expands to, and checks a job's budget in the transaction that adds files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sqlflow_magic.server.budgets import BudgetExceeded, SqlLimit, SqlVolume
from sqlflow_magic.server.records import SCHEMA
from sqlflow_magic.server.store import JobStore, SqlFile
from tests.support.users import ALICE

pytestmark = pytest.mark.unit

JOB_ID = "b" * 32
LIMIT = SqlLimit("job", max_bytes=100, max_files=10)


def test_files_past_the_job_budget_are_refused_and_the_job_stays_as_it_was(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    try:
        first = store.create_job(JOB_ID, ALICE, "j", "dbvoracle", True, {}, [SqlFile("a.zip", b"PK")],
                                 [SqlVolume(60, 3)])
        assert store.job_volume(JOB_ID) == SqlVolume(60, 3)
        with pytest.raises(BudgetExceeded, match="max_job_sql_bytes"):
            store.add_files(JOB_ID, [SqlFile("b.sql", b"x" * 41)], replace=False, changes={"job_name": "renamed"},
                            volumes=[SqlVolume(41, 1)], limit=LIMIT)
        assert store.get_job(JOB_ID) == first
        assert store.job_files(JOB_ID) == [SqlFile("a.zip", b"PK")]
        store.add_files(JOB_ID, [SqlFile("b.sql", b"x" * 40)], replace=False, changes={}, volumes=[SqlVolume(40, 1)],
                        limit=LIMIT)
        assert store.job_volume(JOB_ID) == SqlVolume(100, 4)
    finally:
        store.close()


def test_a_database_from_before_budgets_gains_the_columns_and_counts_old_files_by_their_size(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_schema = SCHEMA.replace("    sql_bytes INTEGER,\n    sql_files INTEGER,\n", "")
    assert "sql_bytes" not in old_schema
    with sqlite3.connect(path) as conn:
        conn.executescript(old_schema)
        conn.execute("INSERT INTO jobs (job_id, user_id, job_name, db_vendor, status, persist, version, create_time, "
                     "updated_at) VALUES (?, ?, 'old', 'dbvoracle', 'success', 1, '0.1', 'now', 'now')",
                     (JOB_ID, ALICE))
        conn.execute("INSERT INTO files (job_id, seq, filename, content) VALUES (?, 1, 'old.sql', ?)",
                     (JOB_ID, b"select 1 from dual;"))
    conn.close()
    store = JobStore(path)
    try:
        assert store.job_volume(JOB_ID) == SqlVolume(19, 1)
        store.add_files(JOB_ID, [SqlFile("new.sql", b"select 2;")], replace=False, changes={},
                        volumes=[SqlVolume(9, 1)], limit=LIMIT)
        assert store.job_volume(JOB_ID) == SqlVolume(28, 2)
    finally:
        store.close()
