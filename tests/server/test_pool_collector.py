"""The analysis process owns the garbage collector's policy: its thresholds, freezing between tasks, and no
collections while a job's exports are rendered."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from sqlflow_magic.server.analysis import job_outcome, judge, render_export
from sqlflow_magic.server.analysis_batches import JobPlan, analyse_batch, plan_job
from sqlflow_magic.server.export_rendering import RENDERED_APART, render_apart
from sqlflow_magic.server.exports import ViewOptions, view_kind
from sqlflow_magic.server.job_results import lineage_kind
from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.pool import AnalysisPool
from sqlflow_magic.server.pool_child import COLLECTOR_THRESHOLDS
from sqlflow_magic.server.records import AnalysisRequest, SqlFile

pytestmark = pytest.mark.server


def test_the_analysis_process_tunes_its_collector_and_freezes_what_a_task_leaves() -> None:
    async def scenario() -> None:
        pool = AnalysisPool(1)
        pool.start()
        try:
            assert await pool.run(gc.get_threshold, limit=30) == COLLECTOR_THRESHOLDS
            assert await pool.run(gc.get_freeze_count, limit=30) > 0  # the imports, frozen after the first task
        finally:
            await pool.close()

    asyncio.run(scenario())


def full_collections_while_keeping(objects: int) -> int:
    """In the analysis process: the full collections that start while ``objects`` lists are made and kept,
    as a long analysis keeps its growing result (each list is one object the collector tracks)."""
    started: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(1)

    gc.callbacks.append(seen)
    try:
        kept = [[] for _ in range(objects)]
    finally:
        gc.callbacks.remove(seen)
    del kept
    return len(started)


def test_a_task_that_keeps_making_objects_starts_no_full_collection() -> None:
    # 1.5 million kept objects: about 210 collections of the middle generation, and full collections of
    # everything kept so far under the thresholds before (100: one at least), finding nothing
    async def scenario() -> None:
        pool = AnalysisPool(1)
        pool.start()
        try:
            assert await pool.run(full_collections_while_keeping, 1_500_000, limit=60) == 0
        finally:
            await pool.close()

    asyncio.run(scenario())


#: Enough SQL that rendering its exports makes far more objects than a young collection's threshold (700).
SCRIPT = "\n".join(
    f"INSERT INTO dw.fact_{i % 7} (id, amount) SELECT s.id, s.amount * {i} FROM stage.src_{i % 5} s;"
    for i in range(200)
).encode()


class CollectionsCounted:
    """The collections that start while it is open, counted with ``gc.callbacks`` (Python's public hook).

    Rendering makes thousands of objects, so with collections on it starts one per 700: dozens. Paused,
    it starts none; the one young collection that may follow when they resume finds what the rendering
    made already freed.
    """

    def __init__(self) -> None:
        self.started = 0

    def _seen(self, phase: str, _info: dict[str, int]) -> None:
        self.started += phase == "start"

    def __enter__(self) -> CollectionsCounted:
        assert gc.isenabled()
        gc.collect()  # the count of new objects starts from nought, so nothing before the rendering triggers one
        gc.callbacks.append(self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._seen)


def request(script: bytes = SCRIPT) -> AnalysisRequest:
    return AnalysisRequest(files=(SqlFile("etl.sql", script),), dbvendor="dbvpostgresql", job_id="job")


def test_a_jobs_exports_are_rendered_without_collections_which_resume_after() -> None:
    result, status, message = judge(analyze([SqlSource("etl.sql", SCRIPT.decode())], "dbvpostgresql"), [], None)
    with CollectionsCounted() as counted:
        outcome = job_outcome(request(), result, status, message)
    assert counted.started <= 1
    assert gc.isenabled()
    assert json.loads(outcome.results[lineage_kind(False)])["data"]["sqlflow"]["relationships"]


def test_an_export_rendered_on_its_first_request_is_rendered_without_collections() -> None:
    result, status, message = judge(analyze([SqlSource("etl.sql", SCRIPT.decode())], "dbvpostgresql"), [], None)
    lineage = job_outcome(request(), result, status, message).results[lineage_kind(False)]
    with CollectionsCounted() as counted:
        rendered = render_export(lineage, ViewOptions(), "csv", ",")
    assert counted.started <= 1
    assert rendered.count(b"\n") > 200


def test_the_exports_rendered_apart_from_the_merge_are_rendered_without_collections() -> None:
    plan = plan_job(request(), processes=2, from_bytes=1, batch_bytes=1_000)
    assert isinstance(plan, JobPlan)
    results = [(index, analyse_batch(task)) for index, task in enumerate(plan.tasks)]
    with CollectionsCounted() as counted:
        rendered = render_apart(plan, results)
    assert counted.started <= 1
    assert set(rendered) == {view_kind(form, options) for options, form in RENDERED_APART}
