"""The analysis pool's hard time limit, and the worker's revision guard (with a pool the test controls)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.analysis import AnalysisRequest, export_kind
from sqlflow_magic.server.pool import AnalysisPool, AnalysisTimeout, PoolClosedError
from sqlflow_magic.server.store import JobStore, SqlFile
from sqlflow_magic.server.worker import JobWorker
from tests.conftest import ALICE
from tests.server.test_worker import FIRST, SECOND

JOB_ID = "d" * 32


def test_a_task_past_its_hard_limit_is_killed_and_the_pool_recovers() -> None:
    async def scenario() -> None:
        pool = AnalysisPool(1)
        pool.start()
        try:
            first_pid = await pool.run(os.getpid, limit=30)
            started = time.monotonic()
            with pytest.raises(AnalysisTimeout):
                await pool.run(time.sleep, 60, limit=0.3)
            assert time.monotonic() - started < 3
            second_pid = await pool.run(os.getpid, limit=30)  # a fresh process took the killed one's place
            assert second_pid != first_pid
            assert await pool.run(os.getpid, limit=30) == second_pid  # and it is reused
        finally:
            await pool.close()
        with pytest.raises(PoolClosedError):
            await pool.run(os.getpid, limit=1)

    asyncio.run(scenario())


class GatedPool:
    """Runs analyses in-process, each only once the test opens the gate; records every request."""

    size = 1
    closed = False

    def __init__(self) -> None:
        self.requests: list[AnalysisRequest] = []
        self.gate = asyncio.Event()
        self.failure: Exception | None = None

    def start(self) -> None:
        pass

    async def run(self, fn: Callable[[AnalysisRequest], Any], request: AnalysisRequest, *, limit: float) -> Any:
        self.requests.append(request)
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return fn(request)

    def kill_all(self, wait: bool = False) -> None:
        pass

    async def close(self) -> None:
        pass


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def with_worker(tmp_path: Path, scenario: Callable[[JobWorker, GatedPool, JobStore], Any]) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.create_job(JOB_ID, ALICE, "j", "dbvoracle", True, {}, [SqlFile("first.sql", FIRST)])

    async def main() -> None:
        worker = JobWorker(store, ServerConfig(db_path=tmp_path / "jobs.sqlite3"))
        pool = GatedPool()
        worker.pool = pool  # type: ignore[assignment]
        worker.start()
        try:
            await scenario(worker, pool, store)
        finally:
            await worker.stop()

    try:
        asyncio.run(main())
    finally:
        store.close()


def status_of(store: JobStore) -> str:
    job = store.get_job(JOB_ID)
    assert job is not None
    return job.status


def test_an_analysis_of_an_older_revision_never_overwrites_a_newer_submit(tmp_path: Path) -> None:
    async def scenario(worker: JobWorker, pool: GatedPool, store: JobStore) -> None:
        await until(lambda: len(pool.requests) == 1)
        assert status_of(store) == "process"
        store.add_files(JOB_ID, [SqlFile("second.sql", SECOND)], replace=False, changes={})
        worker.notify()
        await asyncio.sleep(0.1)
        assert len(pool.requests) == 1  # the new revision waits for the running analysis
        pool.gate.set()  # the old analysis (first.sql only) finishes now: its result must be dropped
        await until(lambda: status_of(store) == "success")
        assert [[f.filename for f in request.files] for request in pool.requests] == [
            ["first.sql"],
            ["first.sql", "second.sql"],
        ]
        csv = store.get_result(JOB_ID, export_kind("csv", False))
        assert csv is not None and b",t1,x," in csv and b",t3,z," in csv

    with_worker(tmp_path, scenario)


def test_a_killed_analysis_fails_its_job_with_the_time_limit(tmp_path: Path) -> None:
    async def scenario(worker: JobWorker, pool: GatedPool, store: JobStore) -> None:
        pool.failure = AnalysisTimeout("too slow")
        pool.gate.set()
        await until(lambda: status_of(store) == "fail")
        job = store.get_job(JOB_ID)
        assert job is not None and job.error_message is not None
        assert job.error_message.startswith("time limit of 120 s (job_time_limit_seconds) exceeded")
        assert store.get_result(JOB_ID, "errors.json") is not None

    with_worker(tmp_path, scenario)
