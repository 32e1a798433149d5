"""The tasks of a big job analysed in batches, run in the analysis processes like those of ``analysis.py``.

:func:`plan_job` reads the job's files; a job of less than ``parallel_analysis_from_bytes`` of SQL (or a
server with one analysis process) is analysed there and then, as before, and its :class:`JobOutcome`
returned. A bigger one gets a first pass (``lineage/input/first_pass.py``) and is cut into batches
(``lineage/batches.py``): the :class:`JobPlan` goes back to the server, which runs every
:class:`BatchTask` through the pool (:func:`analyse_batch`) and meanwhile feeds each batch's result, as
it ends, to :func:`merge_job` in a process of its own, which merges the batches in order while the later
ones are analysed and renders the job's results exactly as one analysis would have. See "Parallel analysis of one big
job" in ``docs/server.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlflow_magic.server.analysis import JobOutcome, job_outcome, job_sources, judge
from sqlflow_magic.server.budgets import BudgetExceeded
from sqlflow_magic.server.pool_child import collections_paused, task_inputs
from sqlflow_magic.server.records import AnalysisRequest

if TYPE_CHECKING:  # the engine is imported in the analysis processes only
    from sqlflow_magic.server.exports import ViewOptions
    from sqlflow_magic.server.lineage import LineageError, LineageResult, Span, SqlSource
    from sqlflow_magic.server.lineage.parts import BatchStart, Part


@dataclass(frozen=True)
class BatchTask:
    """One batch: the files it reads (the others of the job empty), its parts and where it starts."""

    files: tuple[SqlSource, ...]
    parts: tuple[Part, ...]
    dbvendor: str
    start: BatchStart
    deadline: float | None


@dataclass(frozen=True)
class JobPlan:
    """A job cut into batches: what :func:`finish_job` needs besides the batches' results."""

    request: AnalysisRequest
    sources: tuple[SqlSource, ...]
    notes: tuple[LineageError, ...]
    tasks: tuple[BatchTask, ...]
    #: Per batch: what it holds and where, for the error that reports it if its process failed.
    described: tuple[tuple[str, str, Span | None], ...]
    dialect: str
    deadline: float | None
    #: When the plan was made (epoch ms): the stamp of the job's session id, whichever process renders an export.
    stamp_ms: int


def plan_job(request: AnalysisRequest, processes: int, from_bytes: int, batch_bytes: int) -> JobOutcome | JobPlan:
    """Analyse a small job at once (its outcome), or plan a big one in batches for ``processes`` processes.

    A big job gets ``processes`` batches per ``processes * batch_bytes`` of SQL, so every process has as
    much to do; ``from_bytes`` 0 never splits a job.
    """
    from sqlflow_magic.server.analysis import failed_outcome

    started = time.monotonic()
    try:
        sources, notes = job_sources(request)
        total = sum(len(source.text) for source in sources)
        if processes < 2 or not from_bytes or total < from_bytes:
            return _whole(request, sources, notes, started)
        return _plan(request, sources, notes, processes, batch_bytes, started)
    except BudgetExceeded as exc:  # as analysis.analyse_job reports it
        return failed_outcome(str(exc), "BudgetExceeded")
    except MemoryError:  # the pool replaces this process, and the worker fails the job naming the memory limit
        raise
    except Exception as exc:  # an engine bug must cost this job only, never the worker
        return failed_outcome(f"the analysis failed unexpectedly: {type(exc).__name__}: {exc}"[:500], "AnalyzeError")


def _whole(
    request: AnalysisRequest, sources: list[SqlSource] | tuple[SqlSource, ...], notes: list[LineageError],
    started: float,
) -> JobOutcome:
    from sqlflow_magic.server.lineage import analyze

    limit = request.time_limit_seconds
    result = analyze(
        list(sources), request.dbvendor, default_database=request.default_database,
        default_schema=request.default_schema, deadline=None if limit is None else started + limit,
    )  # fmt: skip
    return job_outcome(request, *judge(result, notes, limit))


def _plan(
    request: AnalysisRequest, sources: list[SqlSource], notes: list[LineageError], processes: int,
    batch_bytes: int, started: float,
) -> JobOutcome | JobPlan:
    from sqlflow_magic.server.lineage import SqlSource, choose_dialect
    from sqlflow_magic.server.lineage.batches import describe, plan_batches
    from sqlflow_magic.server.lineage.engine import batch_start, first_pass

    total = sum(len(source.text) for source in sources)
    count = processes * max(1, math.ceil(total / (processes * max(1, batch_bytes))))
    choice = choose_dialect(request.dbvendor)
    planned = plan_batches(sources, count, choice.batch_separator)
    if len(planned) < 2:  # no statement boundary to cut at
        return _whole(request, sources, notes, started)
    defaults = {"default_database": request.default_database, "default_schema": request.default_schema}
    found = first_pass(sources, request.dbvendor, **defaults)
    limit = request.time_limit_seconds
    deadline = None if limit is None else started + limit
    tasks = []
    for parts in planned:
        used = {part[0] for part in parts}
        files = tuple(source if index in used else SqlSource(source.name, "") for index, source in enumerate(sources))
        start = batch_start(found, parts[0][0], parts[0][1], request.dbvendor, **defaults)
        tasks.append(BatchTask(files, tuple(parts), request.dbvendor, start, deadline))
    described = tuple(describe(sources, parts) for parts in planned)
    return JobPlan(request, tuple(sources), tuple(notes), tuple(tasks), described, choice.dialect or "default",
                   deadline, int(time.time() * 1000))  # fmt: skip


def analyse_batch(task: BatchTask) -> bytes:
    """Analyse one batch of a planned job: its result in the compact form the merge reads."""
    from sqlflow_magic.server.lineage.batches import encode
    from sqlflow_magic.server.lineage.engine import analyze_parts

    result, registry, clean = analyze_parts(task.files, task.parts, task.dbvendor, task.start, deadline=task.deadline)
    with collections_paused():  # encoding makes a tuple per span and frees none: 60% of its time was collections
        return encode(result, registry, clean, task.start)


def finish_job(
    plan: JobPlan, results: Iterable[tuple[int, bytes | str]], leave_out: Collection[tuple[ViewOptions, str]] = ()
) -> JobOutcome:
    """Merge the batches' results (or the reasons they failed) in order and render the job's outcome.

    ``results`` gives ``(batch index, result or reason)`` pairs in any order, e.g. as the batches end
    (:func:`merge_job`); each batch is merged as soon as those before it are, so the merge runs while
    later batches are analysed. It is read until every batch is merged, or until the merge stops (past
    the deadline, or at a cut that turned out not to be a statement boundary, or a batch that started
    without something one analysis would have known there: the job is then analysed again in one
    piece, within its deadline, and every export rendered here). The exports ``leave_out`` are rendered
    by another process (``server/export_rendering.py``) unless the job was analysed again.
    """
    from sqlflow_magic.server.analysis import failed_outcome

    try:
        with collections_paused():  # the merged result is made, rendered and freed within: never walked
            outcome = _merged_outcome(plan, results, leave_out)
        if outcome is not None:
            return outcome
        from sqlflow_magic.server.lineage import analyze

        request = plan.request
        result = analyze(
            list(plan.sources), request.dbvendor, default_database=request.default_database,
            default_schema=request.default_schema, deadline=plan.deadline,
        )  # fmt: skip
        return job_outcome(request, *judge(result, list(plan.notes), request.time_limit_seconds), now_ms=plan.stamp_ms)
    except MemoryError:
        raise
    except Exception as exc:  # an engine bug must cost this job only, never the worker
        return failed_outcome(f"the analysis failed unexpectedly: {type(exc).__name__}: {exc}"[:500], "AnalyzeError")


def _merged_outcome(
    plan: JobPlan, results: Iterable[tuple[int, bytes | str]], leave_out: Collection[tuple[ViewOptions, str]]
) -> JobOutcome | None:
    merged = merged_result(plan, results)
    if merged is None:
        return None
    judged = judge(merged, list(plan.notes), plan.request.time_limit_seconds)
    return job_outcome(plan.request, *judged, now_ms=plan.stamp_ms, leave_out=leave_out)


def merged_result(plan: JobPlan, results: Iterable[tuple[int, bytes | str]]) -> LineageResult | None:
    """The batches' results merged as one analysis gives them; None if the job must be analysed again in one piece."""
    from sqlflow_magic.server.lineage.batches import BatchFailure, OrderedMerge

    merging = OrderedMerge(plan.described, plan.request.dbvendor, plan.dialect)
    with collections_paused():
        for index, result in results:
            merging.add(index, BatchFailure(result) if isinstance(result, str) else result)
            if merging.done:
                break
    return merging.result if merging.done else None


def merge_job(plan: JobPlan, leave_out: Collection[tuple[ViewOptions, str]] = ()) -> JobOutcome:
    """:func:`finish_job` of the results the server feeds this task as the batches end
    (:meth:`AnalysisPool.run_fed <sqlflow_magic.server.pool.AnalysisPool.run_fed>`)."""
    return finish_job(plan, task_inputs(), leave_out)
