"""The job lifecycle: :class:`JobWorker` claims, runs, stores and requeues jobs, and has the one ``close()``.

It runs on the server's event loop but never analyses there: every analysis goes to the
:class:`~sqlflow_magic.server.pool.AnalysisPool` (the functions of :mod:`sqlflow_magic.server.analysis`).
The store is the queue, a fair one (round robin across users, :mod:`sqlflow_magic.server.fair_queue`):
a job is claimed with an atomic ``create`` -> ``process`` change, and a result is written only if the
job is still in ``process`` at the revision that was analysed, so a submit that arrives meanwhile
(which puts the job back to ``create`` with a new revision) is analysed again instead of being
overwritten. A job the shutdown interrupts goes back to ``create``; one left in ``process`` by
a crash is put back at the next start. See ``docs/server.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from sqlflow_magic.protocol import JobStatus
from sqlflow_magic.server.analysis import (
    JobOutcome,
    analyse_generation,
    check_syntax,
    failed_outcome,
    render_export,
    warm_up,
)
from sqlflow_magic.server.analysis_batches import plan_job
from sqlflow_magic.server.budgets import job_limit
from sqlflow_magic.server.child_limits import applied_memory_limit_mb
from sqlflow_magic.server.config import ServerConfig, memory_limit_message, time_limit_message
from sqlflow_magic.server.exports import ViewOptions
from sqlflow_magic.server.job_batches import run_batches
from sqlflow_magic.server.job_settled import SettledJobs
from sqlflow_magic.server.pool import (
    AnalysisCrashed,
    AnalysisOutOfMemory,
    AnalysisPool,
    AnalysisTimeout,
    PoolClosedError,
)
from sqlflow_magic.server.records import AnalysisRequest, SqlFile, StoredJob
from sqlflow_magic.server.store import JobStore

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: How often the worker looks for jobs nobody told it about (submitted by another process on the same file).
POLL_SECONDS = 2.0


class JobWorker:
    """Analyses the jobs of ``store`` in the background, and runs synchronous analyses on request.

    Its life is the app's lifespan, on the event loop: :meth:`start` when the app starts,
    :meth:`close` when it stops; nothing else ends its analyses.
    """

    def __init__(self, store: JobStore, config: ServerConfig, pool: AnalysisPool | None = None) -> None:
        self.store = store
        self.config = config
        # each process limits its own memory first (analysis_memory_limit_mb), then imports the engine
        initializer = functools.partial(warm_up, config.analysis_memory_limit_mb)
        # one more process merges a big job's batches while they are analysed (server.md, parallel analysis)
        fed = 1 if config.analysis_processes > 1 and config.parallel_analysis_from_bytes else 0
        self.pool = pool or AnalysisPool(config.analysis_processes, fed=fed, initializer=initializer)
        # with two or more processes, one stays free for synchronous /generation requests
        self._jobs_at_once = max(1, self.pool.size - 1)
        self._closing = False
        self._wake: asyncio.Event | None = None
        self._capacity: asyncio.Semaphore | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()
        self._lent: set[str] = set()  # jobs whose turn of capacity went to the next job before they ended
        self._recovered = False  # until then a claim of a submit's could be taken for a crash's leftover
        self._begun = 0  # jobs given to begin(), so that claiming() knows whether its turn was used
        self._claiming = asyncio.Lock()  # one claim at a time: the loop's, or a submit's (server/job_handoff.py)
        self._searching = False  # whether the loop holds a turn while it looks for a job (within a claim)
        #: Held status requests (``waitMillis``) wait here for a job's analysis to end.
        self.settled = SettledJobs()

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing

    def start(self) -> None:
        """Start the analysis processes and (unless ``run_worker`` is off) the job loop."""
        self._wake = asyncio.Event()
        self._capacity = asyncio.Semaphore(self._jobs_at_once)
        self.pool.start()
        if self.config.run_worker:
            self._loop_task = asyncio.create_task(self._run(), name="sqlflow-magic-job-worker")

    def notify(self) -> None:
        """Tell the worker that a job may be waiting (call it on the event loop, e.g. after a submit)."""
        if self._wake is not None:
            self._wake.set()

    async def close(self) -> None:
        """Stop for good, at once: the one shutdown of the worker and its analyses. Safe to call twice.

        No job is claimed any more, every analysis process is killed, and a job being analysed goes
        back to ``create`` for the next start. A request waiting in :meth:`generate`, :meth:`render` or
        :meth:`check_syntax` raises :class:`~sqlflow_magic.server.pool.PoolClosedError` at once.
        Returns once the processes are reaped and the job tasks have ended.
        """
        self._closing = True
        self.settled.release_all()  # a held status request is answered now, not when its wait runs out
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await self.pool.close()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=5)
            for task in pending:
                task.cancel()

    async def generate(self, request: AnalysisRequest, options: ViewOptions, form: str, delimiter: str) -> bytes:
        """Analyse SQL synchronously (``/sqlflow/generation/sqlflow...``) within the job time limit."""
        return await self._analysed_now(analyse_generation, self._limited(request), options, form, delimiter)

    async def render(self, lineage: bytes, options: ViewOptions, form: str, delimiter: str) -> bytes:
        """Render an export of a stored lineage in an analysis process: a large one takes seconds of CPU."""
        return await self._analysed_now(render_export, lineage, options, form, delimiter)

    async def check_syntax(self, request: AnalysisRequest) -> list[dict[str, Any]]:
        """Parse SQL synchronously (``/demo/syntax/check``) within the job time limit."""
        return await self._analysed_now(check_syntax, self._limited(request))

    def _memory_message(self) -> str:
        return memory_limit_message(applied_memory_limit_mb(self.config.analysis_memory_limit_mb))

    def _limited(self, request: AnalysisRequest) -> AnalysisRequest:
        return dataclasses.replace(request, time_limit_seconds=self.config.job_time_limit_seconds)

    async def _analysed_now(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the pool, killed past the time limit (see :meth:`AnalysisPool.run` for what it raises).

        An :class:`AnalysisTimeout` says the time limit in the server's words, an :class:`AnalysisOutOfMemory`
        the memory limit.
        """
        try:
            return await self.pool.run(fn, *args, limit=self.config.kill_after_seconds)
        except AnalysisTimeout:
            raise AnalysisTimeout(time_limit_message(self.config.job_time_limit_seconds)) from None
        except AnalysisOutOfMemory:
            raise AnalysisOutOfMemory(self._memory_message()) from None

    # the job loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None and self._capacity is not None
        try:
            await asyncio.to_thread(self._recover)
        except Exception:
            logger.warning("could not look for unfinished jobs", exc_info=True)
        self._recovered = True
        while not self.closing:
            self._wake.clear()
            job = None
            # the loop takes a turn only within a claim, and a submit waiting to claim goes first (the lock is
            # fair): a job submitted while the loop looks is claimed by its own submit (claiming())
            async with self._claiming:
                if not self._capacity.locked():
                    await self._capacity.acquire()  # at once: it is not locked
                    self._searching = True
                    try:
                        job = await asyncio.to_thread(self._claim_next, frozenset(self._in_flight))
                    except Exception:  # e.g. the database is locked by another process for longer than its timeout
                        if self.closing:
                            return
                        logger.warning("could not look for jobs to analyse", exc_info=True)
                    if job is not None:
                        self.begin(job)
                    else:
                        self._capacity.release()
                    self._searching = False
            if job is None:  # no job, or no turn free: a job's end, a lent turn or a submit wakes the loop
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    # a submit's claim (server/job_handoff.py) -------------------------------------------------

    def free_now(self) -> bool:
        """Whether a process is free for a job at once (the job loop runs, past its start, with capacity to spare)."""
        return self._recovered and not self.closing and self._capacity is not None and not self._capacity.locked()

    @contextlib.asynccontextmanager
    async def claiming(self) -> AsyncIterator[frozenset[str] | None]:
        """Hold the claim and a turn of capacity for a claim made elsewhere; yield the jobs not to claim.

        Yields None (claim nothing) when no process is free. A claimed job must be given to :meth:`begin`
        inside the block; if none is, the turn of capacity is given back. While the job loop holds a turn
        to look for a job (after each job's end), this waits for that search to end: a job submitted to
        an idle server is claimed by its own submit, never left to the loop's next look.
        """
        if not self.free_now() and not self._searching:
            yield None
            return
        assert self._capacity is not None
        async with self._claiming:
            if not self.free_now():  # the loop's search found a job for the turn
                yield None
                return
            await self._capacity.acquire()  # at once: it is not locked, and the event loop did not switch
            begun = self._begun
            try:
                yield frozenset(self._in_flight)
            finally:
                if self._begun == begun:
                    self._capacity.release()

    def begin(self, job: StoredJob, files: tuple[SqlFile, ...] | None = None) -> None:
        """Analyse the claimed ``job`` in a task of its own, holding a turn of capacity taken for it.

        ``files``: the job's files exactly as stored, when the caller holds them (a submit that just stored
        them): the analysis process then does not read them back from the store.
        """
        self._begun += 1
        self._in_flight.add(job.job_id)
        task = asyncio.create_task(self._process(job, files), name=f"sqlflow-magic-job-{job.job_id}")
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._job_done, job_id=job.job_id))

    def _job_done(self, task: asyncio.Task[None], *, job_id: str) -> None:
        self._tasks.discard(task)
        self._in_flight.discard(job_id)
        assert self._capacity is not None
        if job_id in self._lent:
            self._lent.discard(job_id)  # its capacity was given back already (see _lend)
        else:
            self._capacity.release()
        self.notify()  # the job may have been submitted again while it was analysed

    def _recover(self) -> None:
        """Put jobs left in ``process`` by a crash or a restart back to ``create``."""
        for job in self.store.jobs_with_status(JobStatus.PROCESS):
            if self.store.set_status(job.job_id, JobStatus.CREATE, only_if_status=JobStatus.PROCESS,
                                     only_if_revision=job.revision):
                logger.info("job %s was left unfinished; analysing it again", job.job_id)

    def _claim_next(self, in_flight: frozenset[str]) -> StoredJob | None:
        """Claim the job the fair queue takes next (``create`` -> ``process``), or return None if none waits.

        Round robin across users, first in first out within one (``server/fair_queue.py``). A job whose
        previous revision is still being analysed waits until that analysis is done.
        """
        return self.store.claim_next(exclude=in_flight)

    async def _process(self, job: StoredJob, files: tuple[SqlFile, ...] | None) -> None:
        """Analyse one claimed job and store its outcome, unless the job changed meanwhile."""
        try:
            await self._analyse_and_store(job, files)
        finally:
            self.settled.announce(job.job_id)  # held status requests read the job again now

    async def _analyse_and_store(self, job: StoredJob, files: tuple[SqlFile, ...] | None) -> None:
        started = time.monotonic()
        try:
            outcome = await self._analyse(job, files)
        except PoolClosedError:
            self._requeue(job)  # one quick write, done here before close() lets the store be closed
            return
        except Exception as exc:  # a bug here must cost one job, never the worker
            logger.exception("analysis of job %s failed", job.job_id)
            outcome = failed_outcome(f"internal error of the local server: {type(exc).__name__}", "AnalyzeError")
        self._lend(job.job_id)  # before the outcome is stored, so that it is never seen final with no turn free
        millis = int((time.monotonic() - started) * 1000)
        try:
            stored = await asyncio.to_thread(
                self.store.set_status,
                job.job_id,
                outcome.status,
                error_message=outcome.error_message,
                session_id=outcome.session_id,
                execute_time_millis=millis,
                only_if_status=JobStatus.PROCESS,
                only_if_revision=job.revision,
                results=outcome.results,
            )
        except Exception:  # the store was closed under us (shutdown) or is unusable
            if not self.closing:
                logger.warning("could not store the outcome of job %s", job.job_id, exc_info=True)
            return
        if not stored:
            logger.info("job %s changed while it was analysed; its newer revision will be analysed", job.job_id)

    async def _analyse(self, job: StoredJob, files: tuple[SqlFile, ...] | None) -> JobOutcome:
        # the analysis process reads the job's files from the store (a large upload never passes through
        # here), unless the submit that stored them handed them over, small and in memory
        request = AnalysisRequest(
            files=files or (),
            store_path=None if files else str(self.store.path.resolve()),
            dbvendor=job.db_vendor,
            default_database=job.default_database,
            default_schema=job.default_schema,
            time_limit_seconds=self.config.job_time_limit_seconds,
            job_id=job.job_id,
            sql_limit=job_limit(self.config),
        )
        config = self.config
        kill_at = time.monotonic() + config.kill_after_seconds
        try:
            plan = functools.partial(plan_job, processes=self.pool.size, from_bytes=config.parallel_analysis_from_bytes,
                                     batch_bytes=config.parallel_batch_bytes)
            first = await self.pool.run(plan, request, limit=config.kill_after_seconds)
            if isinstance(first, JobOutcome):
                return first
            self._lend(job.job_id)
            killed = time_limit_message(config.job_time_limit_seconds, ": the analysis did not stop and was killed")
            return await run_batches(self.pool, first, kill_at, time_message=killed,
                                     memory_message=self._memory_message())
        except AnalysisTimeout:
            killed = ": the analysis did not stop and was killed"
            message = time_limit_message(self.config.job_time_limit_seconds, killed)
            return failed_outcome(message, "TimeLimitExceeded")
        except AnalysisOutOfMemory:
            return failed_outcome(self._memory_message(), "MemoryLimitExceeded")
        except AnalysisCrashed as exc:
            return failed_outcome(str(exc), "AnalyzeError")

    def _lend(self, job_id: str) -> None:
        """Give the job's turn of capacity to the next job before the job ends, once: when its batches start
        (they take turns for processes like any task), or when its analysis is over (its outcome is then
        stored in a thread, and a job submitted as soon as this one is seen final must find a turn free
        and be claimed by its submit, ``server/job_handoff.py``)."""
        if job_id not in self._lent and self._capacity is not None:
            self._lent.add(job_id)
            self._capacity.release()
            self.notify()

    def _requeue(self, job: StoredJob) -> None:
        """Give back a job the shutdown interrupted, so the next start analyses it."""
        with contextlib.suppress(Exception):  # the store may already be closed: recovery handles it then
            self.store.set_status(job.job_id, JobStatus.CREATE, only_if_status=JobStatus.PROCESS,
                                  only_if_revision=job.revision)
