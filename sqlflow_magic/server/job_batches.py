"""The server's side of a job analysed in batches: run its batches through the pool, then merge them.

A :class:`~sqlflow_magic.server.analysis_batches.JobPlan` comes back from an analysis process; its
batches go to the pool at most :attr:`AnalysisPool.size` at a time, each waiting its turn for a process
like every other task (first come, first served), so another job's analysis or a synchronous request
waits for one batch at most, never for the whole big job. Meanwhile the merge
(:func:`~sqlflow_magic.server.analysis_batches.merge_job`) runs on a process of its own and is fed each
batch's result as it ends. A batch whose process crashed, ran out of memory or was killed at the time
limit becomes the reason its statements were not analysed; the merge reports it. As soon as no batch
waits for a process, the first shared process free renders two of the job's exports beside the merge
process (:mod:`~sqlflow_magic.server.export_rendering`), fed the batches' results as they end. See
"Parallel analysis of one big job" in ``docs/server.md``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from sqlflow_magic.server.analysis import JobOutcome
from sqlflow_magic.server.analysis_batches import JobPlan, analyse_batch, merge_job
from sqlflow_magic.server.export_rendering import RENDERED_APART, joined, left_out, render_apart_fed
from sqlflow_magic.server.pool import (
    AnalysisCrashed,
    AnalysisOutOfMemory,
    AnalysisPool,
    AnalysisTimeout,
    PoolClosedError,
)

logger = logging.getLogger(__name__)

#: The least time a task is given, so that one started at the very end of a job's time is still answered.
_MIN_SECONDS = 1.0


async def run_batches(
    pool: AnalysisPool, plan: JobPlan, kill_at: float, *, time_message: str, memory_message: str
) -> JobOutcome:
    """Analyse the batches of ``plan`` in the pool and merge them; ``kill_at`` is the job's ``time.monotonic()``
    kill time. Raises what :meth:`AnalysisPool.run_fed` raises for the merge (a batch's failure is reported
    in the outcome instead), and :class:`~sqlflow_magic.server.pool.PoolClosedError` at shutdown.

    The merge runs from the start on one of the pool's :attr:`~AnalysisPool.fed` processes and gets each
    batch's result as the batch ends, so it merges while later batches are analysed; a pool without such
    a process merges on a shared one once every batch has ended. Once no batch waits for a process any
    more, a shared process (its turn taken like any task's) renders
    :data:`~sqlflow_magic.server.export_rendering.RENDERED_APART` meanwhile, which the merge leaves out,
    fed the batches' results as they end like the merge; if that task fails, the job ends without them.
    """
    ended: asyncio.Queue[tuple[int, bytes | str]] = asyncio.Queue()
    for_apart: asyncio.Queue[tuple[int, bytes | str]] = asyncio.Queue()  # the same, for the exports rendered apart
    last_round = asyncio.Event()  # set when no batch waits for a process any more: one is about to be free
    turns = asyncio.Semaphore(pool.size)
    ended_count = 0

    async def run_one(index: int) -> None:
        nonlocal ended_count
        result: bytes | str = "the analysis of these statements ended without a result"
        try:
            async with turns:
                result = await pool.run(analyse_batch, plan.tasks[index], limit=_left(kill_at))
        except AnalysisTimeout:
            result = time_message
        except AnalysisOutOfMemory:
            result = memory_message
        except AnalysisCrashed as exc:
            result = str(exc)
        finally:  # whatever happened, the merge must not wait for this batch for ever
            ended.put_nowait((index, result))
            for_apart.put_nowait((index, result))
            ended_count += 1
            if ended_count > len(plan.tasks) - pool.size:  # the batches left all hold a process
                last_round.set()

    async def results(queue: asyncio.Queue[tuple[int, bytes | str]]) -> AsyncIterator[tuple[int, bytes | str]]:
        for _ in plan.tasks:
            yield await queue.get()

    async def rendered_apart() -> dict[str, bytes] | None:
        await last_round.wait()
        try:
            return await pool.run_fed(render_apart_fed, plan, inputs=results(for_apart), limit=_left(kill_at),
                                      shared=True)  # fmt: skip
        except (AnalysisTimeout, AnalysisCrashed, PoolClosedError) as exc:
            logger.warning("job %s: two of its exports were not rendered with it: %s", plan.request.job_id, exc)
        except Exception:  # an engine bug costs these exports only; the merge process reports it if it meets it too
            logger.exception("job %s: two of its exports were not rendered with it", plan.request.job_id)
        return None

    batches = [asyncio.ensure_future(run_one(index)) for index in range(len(plan.tasks))]
    apart = asyncio.ensure_future(rendered_apart())
    try:
        if not pool.fed:
            await asyncio.gather(*batches)
        outcome = await pool.run_fed(merge_job, plan, RENDERED_APART, inputs=results(ended), limit=_left(kill_at))
        return joined(outcome, await apart) if left_out(outcome) else outcome
    finally:  # the merge may end before the batches (e.g. a cut that was no statement boundary)
        for task in (*batches, apart):
            task.cancel()
        await asyncio.gather(*batches, apart, return_exceptions=True)


def _left(kill_at: float) -> float:
    return max(_MIN_SECONDS, kill_at - time.monotonic())
