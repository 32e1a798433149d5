"""Checks on what a load run left behind: what the clients were told against what the server holds."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sqlflow_magic.server.store import JobStore
from tests.support.load_client import FINAL, PREFIX, ClientRun, SentFile, SubmitRecord, sha256_of, token_for


@dataclass
class Expected:
    """What the accepted submits promise: each job's files in order, its owner, and the unanswered submits."""

    files: dict[str, list[SentFile]] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    in_flight: dict[str, SubmitRecord] = field(default_factory=dict)  # userId -> its unanswered submit

    def jobs_of(self, user_id: str) -> set[str]:
        """The jobIds an accepted submit of ``user_id`` created."""
        return {job_id for job_id, owner in self.owner.items() if owner == user_id}

    @property
    def file_count(self) -> int:
        """How many files the accepted submits carried."""
        return sum(len(files) for files in self.files.values())


def replay(runs: Iterable[ClientRun]) -> Expected:
    """Rebuild every job from the answered submits, checking each answer's ``fileNames`` on the way.

    A client sends one submit at a time and only to its own jobs, so a job's files are the files of
    its submits in the order the client sent them. A client's unanswered submit must be its last.
    """
    expected = Expected()
    for run in runs:
        for position, record in enumerate(run.records):
            if not record.answered:
                assert position == len(run.records) - 1, f"client {run.client} went on after an unanswered submit"
                expected.in_flight[run.user_id] = record
                continue
            assert record.accepted, f"refused submit {record}"
            names = [sent.name for sent in record.files]
            if record.target is None:
                assert record.job_id not in expected.files, f"jobId {record.job_id} handed out twice"
                expected.files[record.job_id] = list(record.files)
                expected.owner[record.job_id] = run.user_id
            else:
                assert record.job_id == record.target, record
                expected.files[record.target].extend(record.files)
            assert list(record.file_names) == [sent.name for sent in expected.files[record.job_id]], (
                f"submit {record.client}/{record.number} answered fileNames {record.file_names}, sent {names}"
            )
    return expected


def listed_jobs(base_url: str, credentials: Mapping[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every user's jobs as ``displayUserJobsSummary`` lists them: userId -> jobId -> job object.

    Asserts that the list has no duplicate and agrees with its ``total``.
    """
    listed: dict[str, dict[str, dict[str, Any]]] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for user_id, secret in credentials.items():
            fields = {"userId": user_id, "token": token_for(client, user_id, secret)}
            answer = client.post(f"{PREFIX}/sqlflow/job/displayUserJobsSummary", data=fields).json()
            assert answer["code"] == 200, answer
            data = answer["data"]
            ids = data["jobIds"]
            assert len(ids) == len(set(ids)) == data["total"] == len(data["jobDetails"]), f"duplicates for {user_id}"
            listed[user_id] = {job["jobId"]: job for job in data["jobDetails"]}
    return listed


def stored_digests(db_path: Path, job_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """``(filename, sha256)`` of each job's stored files, in upload order, read through the job store."""
    store = JobStore(db_path)
    try:
        return {job_id: [(f.filename, sha256_of(f.content)) for f in store.job_files(job_id)] for job_id in job_ids}
    finally:
        store.close()


def digests(files: Iterable[SentFile]) -> list[tuple[str, str]]:
    """``(name, sha256)`` of sent files."""
    return [(sent.name, sent.sha256) for sent in files]


def table_counts(db_path: Path) -> tuple[int, int]:
    """Rows of the ``jobs`` and ``files`` tables (a read-only connection; WAL lets it read beside the server)."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        jobs = connection.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        files = connection.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    finally:
        connection.close()
    return jobs, files


def status_counts(db_path: Path) -> Counter[str]:
    """How many jobs of the store are in each status."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return Counter(dict(connection.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()))
    finally:
        connection.close()


def wait_until_all_final(
    base_url: str, credentials: Mapping[str, str], timeout: float
) -> dict[str, dict[str, dict[str, Any]]]:
    """Poll every user's job list until no job is ``create`` or ``process``; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        listed = listed_jobs(base_url, credentials)
        pending = Counter(
            job["status"] for jobs in listed.values() for job in jobs.values() if job["status"] not in FINAL
        )
        if not pending:
            return listed
        assert time.monotonic() < deadline, f"jobs still unfinished after {timeout:g} s: {dict(pending)}"
        time.sleep(0.5)
