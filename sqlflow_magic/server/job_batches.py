"""The server's side of a job analysed in batches: run its batches through the pool, then merge them.

A :class:`~sqlflow_magic.server.analysis_batches.JobPlan` comes back from an analysis process; its
batches go to the pool at most :attr:`AnalysisPool.size` at a time, each waiting its turn for a process
like every other task (first come, first served), so another job's analysis or a synchronous request
waits for one batch at most, never for the whole big job. A batch whose process crashed, ran out of
memory or was killed at the time limit becomes the reason its statements were not analysed; the merge
(:func:`~sqlflow_magic.server.analysis_batches.finish_job`, in a process too) reports it. See "Parallel
analysis of one big job" in ``docs/server.md``.
"""

from __future__ import annotations

import asyncio
import time

from sqlflow_magic.server.analysis import JobOutcome
from sqlflow_magic.server.analysis_batches import JobPlan, analyse_batch, finish_job
from sqlflow_magic.server.pool import AnalysisCrashed, AnalysisOutOfMemory, AnalysisPool, AnalysisTimeout

#: The least time a task is given, so that one started at the very end of a job's time is still answered.
_MIN_SECONDS = 1.0


async def run_batches(
    pool: AnalysisPool, plan: JobPlan, kill_at: float, *, time_message: str, memory_message: str
) -> JobOutcome:
    """Analyse the batches of ``plan`` in the pool and merge them; ``kill_at`` is the job's ``time.monotonic()``
    kill time. Raises what :meth:`AnalysisPool.run` raises for the merge (a batch's failure is reported in
    the outcome instead), and :class:`~sqlflow_magic.server.pool.PoolClosedError` at shutdown."""
    results: list[bytes | str] = [""] * len(plan.tasks)
    turns = asyncio.Semaphore(pool.size)

    async def run_one(index: int) -> None:
        async with turns:
            try:
                results[index] = await pool.run(analyse_batch, plan.tasks[index], limit=_left(kill_at))
            except AnalysisTimeout:
                results[index] = time_message
            except AnalysisOutOfMemory:
                results[index] = memory_message
            except AnalysisCrashed as exc:
                results[index] = str(exc)

    await asyncio.gather(*(run_one(index) for index in range(len(plan.tasks))))
    return await pool.run(finish_job, plan, results, limit=_left(kill_at))


def _left(kill_at: float) -> float:
    return max(_MIN_SECONDS, kill_at - time.monotonic())
