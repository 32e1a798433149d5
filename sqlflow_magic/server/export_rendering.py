"""A job's exports rendered (:func:`render_exports`), and a big job's on two processes at once: the merge's,
and one of the pool's shared ones.

Once its batches are merged, a job's exports cost about a third as much CPU as its analysis (the 5 MB
script of ``docs/performance.md``: about 6 s with collections paused), and one process would render them
all while the other cores waited. So the merge process (:func:`~sqlflow_magic.server.analysis_batches.merge_job`)
renders the lineage JSON at both levels and the CSVs, and leaves out :data:`RENDERED_APART`, the two
prerendered pictures (the views as JSON with their graph drawn), which :func:`render_apart_fed` renders
meanwhile on a shared process: the first one with no batch of the job left to analyse, while the last
batches are still analysed.

What it needs is the merged result, and the cheapest honest way to give it that is to merge again: it
is fed the batches' encoded results as they end, like the merge process, and merges them (1.4 s for the
5 MB script; mostly after the last batch, which ends soon after the first process is free), where
pickling the merged result to it would cost about 5 s, and the column-level lineage JSON (113 MB) could
only be sent once the merge process had written it. Both processes then build the column-level lineage (about 1 s, the
only work done twice) and render their share; the session id is stamped when the plan was made
(:attr:`JobPlan.stamp_ms <sqlflow_magic.server.analysis_batches.JobPlan.stamp_ms>`), so every export is
exactly what one process renders. If the merge stopped (the job is analysed again in one piece), the
merge process renders every export itself and these are dropped; if their process crashes, runs out of
memory or is killed, the job ends without them and they are rendered on their first request, like any
other export. See "Parallel analysis of one big job" in ``docs/server.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from sqlflow_magic.protocol import JobStatus
from sqlflow_magic.server.analysis import ALWAYS_RENDERED, PRERENDER_FROM_BYTES, PRERENDERED, JobOutcome
from sqlflow_magic.server.exports import ViewOptions, json_bytes, render, view_kind
from sqlflow_magic.server.job_results import lineage_kind
from sqlflow_magic.server.pool_child import collections_paused, task_inputs
from sqlflow_magic.server.records import AnalysisRequest

if TYPE_CHECKING:  # the engine is imported in the analysis processes only
    from sqlflow_magic.server.analysis_batches import JobPlan
    from sqlflow_magic.server.lineage import LineageResult

#: The exports of a job in batches rendered by :func:`render_apart` rather than by the merge process: the
#: default view and the notebook's picture (``fdd,fdr``) as JSON, about 0.85 s and 1.0 s of CPU for the 5 MB
#: script (after the merge again, 1.25 s), against the merge process's lineage JSON at both levels (about 1.3 s
#: and 0.85 s) and CSVs (1.1 s); JSON written by orjson (``docs/performance.md``, "The exports' JSON by orjson").
RENDERED_APART = (PRERENDERED[0], PRERENDERED[1])


def lineage_answer(
    request: AnalysisRequest, result: LineageResult, status: JobStatus, message: str | None, *, table_level: bool,
    now_ms: int,
) -> dict[str, Any]:
    """A job's complete lineage at one level, as stored: a partial success carries the job's own message."""
    from sqlflow_magic.server.lineage import to_sqlflow_json

    answer = to_sqlflow_json(result, job_id=request.job_id, table_level=table_level, now_ms=now_ms)
    if status == JobStatus.PARTIAL_SUCCESS:  # SQLFlow's "full data plus an error string": the job's own message
        answer.update(code=203, error=message)
    return answer


def render_exports(
    request: AnalysisRequest, result: LineageResult, status: JobStatus, message: str | None, now_ms: int,
    leave_out: Collection[tuple[ViewOptions, str]], results: dict[str, bytes],
) -> str:
    """Add a job's lineage at both levels and its prerendered exports to ``results``; return its session id.

    What it makes on the way (a dict per object and relationship) is freed when it returns: the caller
    (:func:`~sqlflow_magic.server.analysis.job_outcome`) keeps collections paused until then, so that
    none of it is ever walked by the collector. The exports ``leave_out`` are rendered elsewhere
    (:func:`render_apart`).
    """
    session_id = ""
    for table_level in (False, True):
        answer = lineage_answer(request, result, status, message, table_level=table_level, now_ms=now_ms)
        session_id = answer.get("sessionId") or session_id
        lineage = results[lineage_kind(table_level)] = json_bytes(answer)
        if not table_level:
            rendered = PRERENDERED if len(lineage) >= PRERENDER_FROM_BYTES else ALWAYS_RENDERED
            results.update((view_kind(form, options), render(answer, options, form))
                           for options, form in rendered if (options, form) not in leave_out)  # fmt: skip
    return session_id


def render_apart(plan: JobPlan, results: Iterable[tuple[int, bytes | str]]) -> dict[str, bytes]:
    """The exports :data:`RENDERED_APART` of a job in batches, from every batch's ``(index, result or
    reason)``, in any order; none if the merge stops or the job fails.

    Whether one process would render the default view at all (its lineage JSON of 1 MB or more) is
    known only to the merge process, which writes that JSON: :func:`joined` keeps what it would.
    """
    with collections_paused():  # as the merge process renders its share: the merged result is freed within
        return _rendered_apart(plan, results)


def render_apart_fed(plan: JobPlan) -> dict[str, bytes]:
    """:func:`render_apart` of the results the server feeds this task as the last batches end
    (:meth:`AnalysisPool.run_fed <sqlflow_magic.server.pool.AnalysisPool.run_fed>` on a shared process)."""
    return render_apart(plan, task_inputs())


def _rendered_apart(plan: JobPlan, results: Iterable[tuple[int, bytes | str]]) -> dict[str, bytes]:
    from sqlflow_magic.server.analysis import judge
    from sqlflow_magic.server.analysis_batches import merged_result

    merged = merged_result(plan, results)
    if merged is None:  # the merge process analyses the job again and renders everything
        return {}
    result, status, message = judge(merged, list(plan.notes), plan.request.time_limit_seconds)
    if status == JobStatus.FAIL:
        return {}
    answer = lineage_answer(plan.request, result, status, message, table_level=False, now_ms=plan.stamp_ms)
    return {view_kind(form, options): render(answer, options, form) for options, form in RENDERED_APART}


def left_out(outcome: JobOutcome) -> list[str]:
    """The exports of :data:`RENDERED_APART` that one process would have rendered with the job and the merge
    process's ``outcome`` lacks (none for a failed job, or one the merge process analysed again)."""
    lineage = outcome.results.get(lineage_kind(False))
    if lineage is None:
        return []
    rendered = PRERENDERED if len(lineage) >= PRERENDER_FROM_BYTES else ALWAYS_RENDERED
    kinds = (view_kind(form, options) for options, form in rendered if (options, form) in RENDERED_APART)
    return [kind for kind in kinds if kind not in outcome.results]


def joined(outcome: JobOutcome, rendered: dict[str, bytes] | None) -> JobOutcome:
    """The merge process's ``outcome`` with the exports it left out, from what :func:`render_apart` ``rendered``
    (None: its process failed; the job keeps its other results)."""
    added = {kind: rendered[kind] for kind in left_out(outcome) if rendered and kind in rendered}
    return dataclasses.replace(outcome, results={**outcome.results, **added}) if added else outcome
