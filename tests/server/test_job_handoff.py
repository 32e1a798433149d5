"""A submit hands its new job to the worker: stored and claimed in one transaction when a process is free,
its small files handed to the analysis with the request; the fair queue still decides which job goes
first; the submit's answer still shows the job as stored (``create``)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.job_handoff import INLINE_BYTES, StoreIt, hand_over, inline_files
from sqlflow_magic.server.jobs import JobWorker
from sqlflow_magic.server.spool import SpooledUpload
from sqlflow_magic.server.store import JobStore, SqlFile, StoredJob
from tests.support.server_api import FIRST, SECOND, Api
from tests.support.users import ALICE, BOB

pytestmark = pytest.mark.server

NEW = "b" * 32


def _upload(name: str, content: bytes, *, named: bool = False) -> SpooledUpload:
    upload = SpooledUpload(name, named=named)
    upload.write(content)
    return upload


@pytest.fixture
def store(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    yield store
    store.close()


def test_a_new_job_is_stored_and_claimed_in_one_transaction(store: JobStore) -> None:
    job, claimed = store.create_job_and_claim(NEW, ALICE, "j", "dbvoracle", True, {}, [SqlFile("a.sql", FIRST)])
    assert (job.status, claimed and claimed.job_id, store.get_job(NEW).status) == ("create", NEW, "process")


def test_a_new_job_waits_behind_the_fair_queues_next(store: JobStore) -> None:
    store.create_job("a" * 32, ALICE, "older", "dbvoracle", True, {}, [SqlFile("a.sql", FIRST)])
    _job, claimed = store.create_job_and_claim(NEW, BOB, "new", "dbvoracle", True, {}, [SqlFile("b.sql", SECOND)])
    assert (claimed and claimed.job_id, store.get_job(NEW).status) == ("a" * 32, "create")


def test_with_no_process_free_the_new_job_is_only_stored(store: JobStore) -> None:
    _job, claimed = store.create_job_and_claim(NEW, ALICE, "j", "dbvoracle", True, {}, [SqlFile("a.sql", FIRST)],
                                               claim_exclude=None)
    assert (claimed, store.get_job(NEW).status) == (None, "create")


def test_small_uploads_in_memory_are_handed_over_byte_for_byte() -> None:
    uploads = [_upload("a.sql", FIRST), _upload("b.sql", SECOND)]
    assert inline_files(uploads) == (SqlFile("a.sql", FIRST), SqlFile("b.sql", SECOND))


def test_uploads_on_disk_or_past_the_inline_size_are_read_from_the_store_instead() -> None:
    on_disk = _upload("big.sql", b"-" * (INLINE_BYTES + 1), named=True)
    halves = [_upload(name, b"-" * (INLINE_BYTES // 2 + 1)) for name in ("a.sql", "b.sql")]
    try:
        assert (inline_files([on_disk]), inline_files(halves)) == (None, None)
    finally:
        on_disk.close()


@contextlib.asynccontextmanager
async def running_worker(store: JobStore, config: ServerConfig) -> AsyncIterator[tuple[JobWorker, StoreIt]]:
    """A started worker on ``store``, and the ``store_it`` of a submit of job ``NEW`` for :func:`hand_over`."""
    worker = JobWorker(store, config)
    worker.start()
    try:
        async def store_it(exclude: Collection[str] | None) -> tuple[StoredJob, StoredJob | None]:
            return await asyncio.to_thread(store.create_job_and_claim, NEW, ALICE, "j", "dbvoracle", True, {},
                                           [SqlFile("a.sql", FIRST)], claim_exclude=exclude)

        yield worker, store_it
    finally:
        await worker.close()
        store.close()


def first_job(store: JobStore, worker: JobWorker) -> None:
    store.create_job("a" * 32, ALICE, "first", "dbvoracle", True, {}, [SqlFile("a.sql", SECOND)])
    worker.notify()


class SlowSearchStore(JobStore):
    """A store that takes 0.3 s to find that no job waits: the worker's loop, which looks for the next job
    as each one ends, holds a turn meanwhile (a busy disk makes that window; here it is wide every time)."""

    def claim_next(self, exclude: Collection[str] = ()) -> StoredJob | None:
        claimed = super().claim_next(exclude)
        if claimed is None:
            time.sleep(0.3)
        return claimed


def test_a_job_handed_over_to_an_idle_worker_is_being_analysed_when_the_submit_returns(
    server_config: ServerConfig,
) -> None:
    config = dataclasses.replace(server_config, analysis_processes=2)

    async def submit_and_follow() -> tuple[str, str, str]:
        store = SlowSearchStore(config.db_path)  # the submit comes while the loop looks for a next job
        async with running_worker(store, config) as (worker, store_it):
            with worker.settled.watching("a" * 32) as first:  # a first job: the worker is past its start then
                first_job(store, worker)
                await asyncio.wait_for(first.wait(), 60)
            with worker.settled.watching(NEW) as settled:
                job = await hand_over(worker, store_it, [_upload("a.sql", FIRST)])
                at_answer = store.get_job(NEW).status
                await asyncio.wait_for(settled.wait(), 60)
            return job.status, at_answer, store.get_job(NEW).status

    assert asyncio.run(submit_and_follow()) == ("create", "process", "success")


class SlowToReturnStore(JobStore):
    """A store whose write of a job's outcome commits, then keeps the worker waiting (a slow disk's fsync):
    the job is seen final by everyone else meanwhile."""

    def set_status(self, *args: Any, **kwargs: Any) -> bool:
        stored = super().set_status(*args, **kwargs)
        if kwargs.get("results") is not None:
            time.sleep(0.5)
        return stored


def test_a_job_seen_final_has_given_its_turn_back_so_the_next_submit_is_claimed(server_config: ServerConfig) -> None:
    config = dataclasses.replace(server_config, analysis_processes=2)

    async def submit_once_the_first_is_final() -> tuple[str, str]:
        store = SlowToReturnStore(config.db_path)
        async with running_worker(store, config) as (worker, store_it):
            first_job(store, worker)
            while (first := await asyncio.to_thread(store.get_job, "a" * 32)).status not in ("success", "fail"):
                await asyncio.sleep(0.005)
            await hand_over(worker, store_it, [_upload("a.sql", FIRST)])  # while the first's write still returns
            return first.status, store.get_job(NEW).status

    assert asyncio.run(submit_once_the_first_is_final()) == ("success", "process")


def test_the_submits_answer_still_shows_the_job_as_stored_and_the_job_ends_with_its_lineage(api: Api) -> None:
    token = api.token()
    answer = api.submit([("a.sql", FIRST)], token=token)
    job_id = answer["data"]["jobId"]
    final = api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis="10000")
    lineage = api.call("exportLineageAsJson", token=token, jobId=job_id)
    names = {table["name"].lower() for table in lineage["data"]["sqlflow"]["dbobjs"]}
    assert (answer["data"]["status"], final["data"]["status"]) == ("create", "success")
    assert {"t1", "t2"} <= names


def test_a_job_submitted_to_an_idle_server_is_already_claimed_when_its_submit_is_answered(api: Api) -> None:
    token = api.token()
    seen = []
    for number in range(10):  # each submit comes once the previous job is final: the worker is idle
        job_id = api.submit([(f"{number}.sql", FIRST)], token=token)["data"]["jobId"]
        seen.append(api.call("displayUserJobSummary", token=token, jobId=job_id)["data"]["status"])
        api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis="10000")
    assert "create" not in seen
