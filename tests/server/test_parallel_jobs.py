"""A big job analysed in batches across the analysis processes: the same lineage and exports as one analysis,
and turns for all."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import signal
import time
from typing import Any

import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.analysis import PRERENDERED, JobOutcome, warm_up
from sqlflow_magic.server.analysis_batches import JobPlan, analyse_batch, plan_job
from sqlflow_magic.server.export_rendering import RENDERED_APART, render_apart_fed
from sqlflow_magic.server.exports import view_kind
from sqlflow_magic.server.job_batches import run_batches
from sqlflow_magic.server.job_results import ERRORS_KIND, lineage_kind
from sqlflow_magic.server.pool import AnalysisPool
from sqlflow_magic.server.records import AnalysisRequest, SqlFile
from sqlflow_magic.server.store import JobStore
from tests.support import analysis_helpers
from tests.support.server_api import Api, running_server, wait_for_final
from tests.support.users import BOB, BOB_SECRET

pytestmark = pytest.mark.server

#: Stars expanded from DDL that comes later, in another file; views, updates and result sets.
ETL = "\n".join(
    f"INSERT INTO dw.fact_{i % 7} SELECT * FROM stage.src_{i % 5};\n"
    f"CREATE VIEW rpt.v_{i} AS SELECT id, amount FROM dw.fact_{(i + 3) % 7} WHERE id > {i};\n"
    f"SELECT * FROM rpt.v_{i};\n"
    f"UPDATE dw.fact_{i % 7} f SET amount = s.amount FROM stage.src_{i % 5} s WHERE f.id = s.id;"
    for i in range(180)  # its compact lineage JSON is 1.16 MB
).encode()
DDL = "\n".join(f"CREATE TABLE stage.src_{i} (id INT, amount INT, note TEXT);" for i in range(5)).encode()
#: Settings that cut the job above into about a dozen batches.
IN_BATCHES = {"parallel_analysis_from_bytes": 1, "parallel_batch_bytes": 5_000}
#: What a job stores when it is analysed: its errors, its lineage at both levels and, as its lineage JSON
#: is over a megabyte, every prerendered export (two of them rendered apart from the merge in batches).
STORED_KINDS = (ERRORS_KIND, lineage_kind(False), lineage_kind(True),
                *(view_kind(form, options) for options, form in PRERENDERED))  # fmt: skip


def lineage(api: Api, job_id: str) -> dict[str, Any]:
    answer = api.call("exportFullLineageAsJson", jobId=job_id)
    for volatile in ("jobId", "sessionId"):
        answer.pop(volatile, None)
    return answer


def stored(config: ServerConfig, job_id: str) -> dict[str, bytes | None]:
    """Every result the job store holds for ``job_id`` among :data:`STORED_KINDS` (None: not stored)."""
    store = JobStore(config.db_path)
    try:
        return {kind: store.get_result(job_id, kind) for kind in STORED_KINDS}
    finally:
        store.close()


def session_ids(results: dict[str, bytes | None]) -> set[str]:
    """The session ids of a job's JSON results: one, as one rendering of one analysis stamps them all."""
    answers = (json.loads(body) for kind, body in results.items() if body and kind != ERRORS_KIND
               and not kind.startswith("view/csv") and not kind.startswith("view/full-csv"))  # fmt: skip
    return {answer["sessionId"] for answer in answers}


def comparable(results: dict[str, bytes | None]) -> dict[str, Any]:
    """The results with what differs between two jobs (their id, their session id) left out."""
    job_id = json.loads(results[lineage_kind(False)] or b"{}").get("jobId", "")
    found: dict[str, Any] = {}
    for kind, body in results.items():
        text = None if body is None else body.decode().replace(job_id, "<job>")
        if text is not None and text.startswith("{"):
            answer = json.loads(text)
            answer.pop("sessionId", None)
            found[kind] = answer
        else:
            found[kind] = text
    return found


def analysed(config: ServerConfig, **settings: int) -> tuple[str, dict[str, Any], dict[str, bytes | None]]:
    with running_server(dataclasses.replace(config, **settings)) as (_server, api):
        job_id = api.submit([("etl.sql", ETL), ("ddl.sql", DDL)], dbvendor="dbvpostgresql")["data"]["jobId"]
        status = wait_for_final(api, job_id, timeout=120)["status"]
        return status, lineage(api, job_id), stored(config, job_id)


def test_a_job_in_batches_has_the_lineage_and_the_stored_exports_of_one_analysis(server_config: ServerConfig) -> None:
    one_status, one_lineage, one_results = analysed(server_config, parallel_analysis_from_bytes=0)
    status, in_batches, results = analysed(server_config, **IN_BATCHES)
    assert (status, in_batches) == (one_status, one_lineage) == ("success", one_lineage)
    assert [kind for kind, body in results.items() if body is None] == []
    assert comparable(results) == comparable(one_results)
    assert len(session_ids(results)) == len(session_ids(one_results)) == 1


def test_another_users_job_is_analysed_while_a_big_job_is_in_batches(server_config: ServerConfig) -> None:
    config = dataclasses.replace(server_config, **IN_BATCHES)
    with running_server(config) as (_server, api):
        big = api.submit([("etl.sql", ETL * 2)], dbvendor="dbvpostgresql")["data"]["jobId"]
        bob = api.token(BOB, BOB_SECRET)
        small = api.submit([("one.sql", b"INSERT INTO t2 SELECT a FROM t1;")], user_id=BOB, token=bob,
                           dbvendor="dbvpostgresql")["data"]["jobId"]
        assert wait_for_final(api, small, timeout=120, user_id=BOB, token=bob)["status"] == "success"
        assert api.call("displayUserJobSummary", jobId=big)["data"]["status"] == "process"
        assert wait_for_final(api, big, timeout=120)["status"] == "success"


class RenderingApartCrashes(AnalysisPool):
    """The server's pool, but the process that renders the exports apart dies during that task (SIGKILL)."""

    async def run_fed(self, fn: Any, *args: Any, inputs: Any, limit: float | None, shared: bool = False) -> Any:
        if fn is render_apart_fed:
            fn, args = analysis_helpers.kill_self, (signal.SIGKILL,)
        return await super().run_fed(fn, *args, inputs=inputs, limit=limit, shared=shared)


class LastBatchLate(AnalysisPool):
    """The server's pool, noting when the exports apart start and when each batch ends; the last batch
    starts late, so that the order of those events does not depend on the machine's speed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[str] = []
        self.last_task: object = None  # the plan's last batch

    async def run(self, fn: Any, *args: Any, limit: float | None) -> Any:
        if fn is not analyse_batch:
            if getattr(fn, "__name__", "").startswith("render_apart"):  # as it was started before it was fed
                self.events.append("exports apart started")
            return await super().run(fn, *args, limit=limit)
        last = args[0] is self.last_task
        if last:
            await asyncio.sleep(1.0)
        answer = await super().run(fn, *args, limit=limit)
        self.events.append("last batch ended" if last else "batch ended")
        return answer

    async def run_fed(self, fn: Any, *args: Any, inputs: Any, limit: float | None, shared: bool = False) -> Any:
        if fn is render_apart_fed:
            self.events.append("exports apart started")
        return await super().run_fed(fn, *args, inputs=inputs, limit=limit, shared=shared)


def in_batches(pool: AnalysisPool) -> JobOutcome:
    """The outcome of the job of ``ETL`` and ``DDL`` in batches (``IN_BATCHES``) on ``pool``."""

    async def analysed() -> JobOutcome:
        pool.start()
        try:
            files = (SqlFile("etl.sql", ETL), SqlFile("ddl.sql", DDL))
            request = AnalysisRequest(files=files, dbvendor="dbvpostgresql", job_id="job")
            plan = await pool.run(functools.partial(plan_job, processes=2, from_bytes=1, batch_bytes=5_000), request,
                                  limit=60)  # fmt: skip
            assert isinstance(plan, JobPlan)
            if isinstance(pool, LastBatchLate):
                pool.last_task = plan.tasks[-1]
            return await run_batches(pool, plan, time.monotonic() + 120, time_message="time", memory_message="memory")
        finally:
            await pool.close()

    return asyncio.run(analysed())


def test_a_job_whose_exports_process_crashes_keeps_its_lineage_and_other_exports() -> None:
    outcome = in_batches(RenderingApartCrashes(2, fed=1, initializer=warm_up))
    apart = [view_kind(form, options) for options, form in RENDERED_APART]
    assert outcome.status == "success"
    assert [kind for kind in STORED_KINDS if kind not in outcome.results] == apart


def test_the_exports_apart_start_on_the_first_process_with_no_batch_left_before_the_last_batch_ends() -> None:
    pool = LastBatchLate(2, fed=1, initializer=warm_up)
    outcome = in_batches(pool)
    assert pool.events.index("exports apart started") < pool.events.index("last batch ended")
    assert pool.events.count("batch ended") >= 3
    assert all(kind in outcome.results for kind in STORED_KINDS)
