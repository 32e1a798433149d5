"""The analysis pool's contract (time limit, crashes, errors, sessions, close), and the worker's revision guard."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.jobs import JobWorker
from sqlflow_magic.server.pool import AnalysisCrashed, AnalysisPool, AnalysisTimeout, PoolClosedError, RemoteTraceback
from sqlflow_magic.server.records import AnalysisRequest
from sqlflow_magic.server.store import JobStore, SqlFile, lineage_kind
from tests.support import analysis_helpers
from tests.support.server_api import FIRST, SECOND, big_script
from tests.support.users import ALICE

pytestmark = pytest.mark.server

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


def with_pool(scenario: Callable[[AnalysisPool], Awaitable[None]], size: int = 1, warm: int = 0,
              command: tuple[str, ...] | None = None) -> None:
    async def main() -> None:
        pool = AnalysisPool(size, warm=warm) if command is None else AnalysisPool(size, command=command)
        pool.start()
        try:
            await scenario(pool)
        finally:
            await pool.close()

    asyncio.run(main())


def test_a_crashed_process_is_reported_and_replaced() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        first = await pool.run(os.getpid, limit=30)
        with pytest.raises(AnalysisCrashed, match=r"ended unexpectedly \(killed by SIGKILL; out of memory\?\)"):
            await pool.run(analysis_helpers.kill_self, signal.SIGKILL, limit=30)
        second = await pool.run(os.getpid, limit=30)
        assert second != first and analysis_helpers.gone(first)
        with pytest.raises(AnalysisCrashed, match=r"exit status 3"):
            await pool.run(os._exit, 3, limit=30)
        assert await pool.run(os.getpid, limit=30) not in (first, second)

    with_pool(scenario)


def test_errors_come_back_as_exceptions_and_the_process_stays() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        pid = await pool.run(os.getpid, limit=30)
        with pytest.raises(ValueError, match="invalid literal") as raised:
            await pool.run(int, "x", limit=30)
        assert isinstance(raised.value.__cause__, RemoteTraceback)
        assert "Traceback" in str(raised.value.__cause__)
        with pytest.raises(RuntimeError, match="TwoArgumentError: this and that"):
            await pool.run(analysis_helpers.raise_unpicklable, limit=30)
        with pytest.raises(RuntimeError, match="result of the analysis could not be sent"):
            await pool.run(analysis_helpers.unpicklable_result, limit=30)
        with pytest.raises((pickle.PicklingError, AttributeError)):  # cannot even be sent
            await pool.run(lambda: 1, limit=30)
        assert await pool.run(analysis_helpers.noisy_pid, limit=30) == pid  # stray output: answers intact
        assert await pool.run(os.getpid, limit=30) == pid

    with_pool(scenario)


def test_the_process_has_a_session_of_its_own_and_ignores_sigint() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        pid = await pool.run(os.getpid, limit=30)
        assert os.getpgid(pid) == pid != os.getpgid(0)
        assert os.getsid(pid) == pid != os.getsid(0)
        assert await pool.run(analysis_helpers.sigint_ignored, limit=30)
        os.kill(pid, signal.SIGINT)
        await asyncio.sleep(0.2)
        assert await pool.run(os.getpid, limit=30) == pid

    with_pool(scenario)


def test_the_process_imports_from_the_servers_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "added_at_run_time.py").write_text("def answer():\n    return 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import added_at_run_time  # type: ignore[import-not-found]

    async def scenario(pool: AnalysisPool) -> None:
        assert await pool.run(analysis_helpers.package_file, limit=30) == analysis_helpers.package_file()
        assert await pool.run(added_at_run_time.answer, limit=30) == 42

    with_pool(scenario)


def test_a_cancelled_task_costs_its_process_only() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        first = await pool.run(os.getpid, limit=30)
        task = asyncio.create_task(pool.run(time.sleep, 30, limit=None))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.wait_for(pool.run(os.getpid, limit=30), 10) != first

    with_pool(scenario)


def test_warm_slots_start_at_once_and_are_reused_last_in_first_out() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        warm_pid = await asyncio.wrap_future(pool._children[0].start())
        assert pool._children[1]._run is None  # started when first needed
        assert await pool.run(os.getpid, limit=30) == warm_pid
        assert await pool.run(os.getpid, limit=30) == warm_pid

    with_pool(scenario, size=2, warm=1)


def test_close_ends_running_and_waiting_tasks_at_once_and_reaps_the_processes() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        pid = await pool.run(os.getpid, limit=30)
        running = asyncio.create_task(pool.run(time.sleep, 30, limit=None))
        waiting = asyncio.create_task(pool.run(os.getpid, limit=None))  # in line behind the running one
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await pool.close()
        assert analysis_helpers.gone(pid)  # reaped by the time close() returns
        for task in (running, waiting):
            with pytest.raises(PoolClosedError):
                await task
        assert time.monotonic() - started < 3
        await pool.close()  # twice is fine
        with pytest.raises(PoolClosedError):
            await pool.run(os.getpid, limit=1)

    with_pool(scenario)


def test_a_pool_that_was_not_started_runs_nothing() -> None:
    async def scenario() -> None:
        with pytest.raises(PoolClosedError):
            await AnalysisPool(1).run(os.getpid, limit=1)

    asyncio.run(scenario())


def test_a_process_that_cannot_be_started_is_reported() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        for _attempt in range(2):  # and again: nothing is left broken
            with pytest.raises(AnalysisCrashed, match="no analysis process could be started"):
                await pool.run(os.getpid, limit=30)

    with_pool(scenario, command=(str(Path(sys.executable).parent / "no-such-python"),))


def test_a_process_that_dies_while_starting_is_reported_and_replaced() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        for _attempt in range(2):  # its replacement is tried, and reported the same way
            with pytest.raises(AnalysisCrashed, match=r"did not start \(exit status 7\)"):
                await pool.run(os.getpid, limit=30)

    with_pool(scenario, command=(sys.executable, "-c", "raise SystemExit(7)"))


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
        pool = GatedPool()
        worker = JobWorker(store, ServerConfig(db_path=tmp_path / "jobs.sqlite3"), pool=pool)  # type: ignore[arg-type]
        worker.start()
        try:
            await scenario(worker, pool, store)
        finally:
            await worker.close()

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
        # both analyses read the job's files from the store (the first one's result, whatever it read, was dropped)
        assert [(request.job_id, request.files, request.store_path) for request in pool.requests] == [
            (JOB_ID, (), str(store.path.resolve())),
        ] * 2
        lineage = store.get_result(JOB_ID, lineage_kind(False))
        assert lineage is not None
        assert {"t1", "t3"} <= {table["name"] for table in json.loads(lineage)["data"]["sqlflow"]["dbobjs"]}

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


def test_the_workers_one_close_requeues_its_job_and_ends_waiting_requests(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.create_job(JOB_ID, ALICE, "j", "dbvoracle", True, {}, [SqlFile("big.sql", big_script(20000))])

    async def main() -> None:
        worker = JobWorker(store, ServerConfig(db_path=tmp_path / "jobs.sqlite3"))
        worker.start()
        try:
            await until(lambda: status_of(store) == "process")
            slow = AnalysisRequest((SqlFile("big.sql", big_script(20000)),), "dbvoracle")
            waiting = asyncio.create_task(worker.check_syntax(slow))  # in the process kept free for requests
            await asyncio.sleep(0.5)
        finally:
            started = time.monotonic()
            await worker.close()
        assert time.monotonic() - started < 3
        assert status_of(store) == "create"  # given back for the next start
        with pytest.raises(PoolClosedError):
            await waiting
        await worker.close()  # twice is fine
        with pytest.raises(PoolClosedError):
            await worker.check_syntax(AnalysisRequest((SqlFile("a.sql", SECOND),), "dbvoracle"))

    try:
        asyncio.run(main())
    finally:
        store.close()
