"""A pool of killable subprocesses; its contract is :meth:`AnalysisPool.run`.

Each :class:`~sqlflow_magic.server.pool_process.ChildProcess` holds one process at a time, which runs one
task at a time, so a task past its limit is killed without touching the others. Processes start when
first needed and are kept; a killed one is replaced at once, so the next task finds it warm. A process
ends by itself when its pipe closes, so none outlives its server, even one killed with ``kill -9``
(see :mod:`sqlflow_magic.server.pool_child` and ``docs/server.md``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterable, Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlflow_magic.server.pool_process import COMMAND, ChildProcess, ProcessGone, RemoteTraceback

__all__ = ["AnalysisCrashed", "AnalysisOutOfMemory", "AnalysisPool", "AnalysisTimeout", "PoolClosedError",
           "RemoteTraceback"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


class PoolClosedError(RuntimeError):
    """The pool is not started, or was closed: no task runs any more."""


class AnalysisTimeout(Exception):
    """A task ran past its time limit; its process was killed."""


class AnalysisCrashed(Exception):
    """The process died during a task (killed from outside, out of memory, a crash), or did not start."""


class AnalysisOutOfMemory(AnalysisCrashed):
    """The task raised ``MemoryError`` in its process (e.g. past the address-space limit the process set itself).

    The process is replaced, since a process that ran out of memory may not be usable any more.
    """


class AnalysisPool:
    """``size`` processes shared by every caller of :meth:`run`; ``warm`` of them start with :meth:`start`.

    ``fed`` more processes run the tasks of :meth:`run_fed` only, started when first needed: such a task
    mostly waits for its inputs, so it must not hold one of the ``size`` processes the other tasks share.
    Each new process first runs ``initializer()`` (e.g. importing what the tasks need), within
    ``startup_timeout`` seconds. Use it on one event loop: :meth:`start`, then :meth:`run`, then :meth:`close`.
    """

    def __init__(self, size: int, *, warm: int = 0, fed: int = 0, initializer: Callable[[], Any] = os.getpid,
                 startup_timeout: float = 60.0, command: Sequence[str] = COMMAND) -> None:
        self._children = [ChildProcess(f"analysis-{index}", command, initializer) for index in range(size)]
        self._fed_children = [ChildProcess(f"analysis-fed-{index}", command, initializer) for index in range(fed)]
        self._warm = warm
        self._startup_timeout = startup_timeout
        self._idle: asyncio.LifoQueue[ChildProcess] | None = None
        self._fed_idle: asyncio.LifoQueue[ChildProcess] | None = None
        self._closed = False

    @property
    def size(self) -> int:
        """How many processes the pool may run at once."""
        return len(self._children)

    @property
    def fed(self) -> int:
        """How many processes run the tasks of :meth:`run_fed` apart from the others (0: the shared ones do)."""
        return len(self._fed_children)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def start(self) -> None:
        """Open the pool to :meth:`run` and start ``warm`` processes (call it on the event loop)."""
        self._idle = asyncio.LifoQueue()
        for child in reversed(self._children):  # LIFO: the last one put is taken first, so warm ones go last
            self._idle.put_nowait(child)
        self._fed_idle = asyncio.LifoQueue()
        for child in self._fed_children:
            self._fed_idle.put_nowait(child)
        for child in self._children[: self._warm]:
            try:
                child.start()
            except OSError:  # the first run() tries again, and reports it
                logger.warning("could not start analysis process %s", child.name, exc_info=True)

    async def run(self, fn: Callable[..., T], *args: Any, limit: float | None) -> T:
        """Run ``fn(*args)`` in a process of the pool and return its result. This docstring is the contract.

        ``fn`` must be picklable by reference (a module-level function the process can import; it
        finds the server's ``sys.path``); ``args`` and the result travel pickled. At most :attr:`size`
        tasks run at once; the others wait their turn. Raises:

        - what ``fn`` raised, unchanged, with the process's traceback text as its ``__cause__``
          (:class:`RemoteTraceback`); a :class:`RuntimeError` if that exception, or the result, cannot be
          pickled back. The process stays.
        - the pickling error if ``fn`` or ``args`` cannot be sent. The process stays.
        - :class:`AnalysisOutOfMemory` if ``fn`` raised ``MemoryError`` (the process's traceback text as its
          ``__cause__``): the process is replaced, as one that ran out of memory may be unusable.
        - :class:`AnalysisTimeout` after ``limit`` seconds (None: no limit): the process is killed and replaced.
        - :class:`AnalysisCrashed` if the process died during the task, or none could be started; it is replaced.
        - :class:`PoolClosedError` before :meth:`start` and after :meth:`close`, also for a task that was
          running or waiting when :meth:`close` was called: it raises at once.

        Cancelling the caller kills the process (a task cannot be taken back) and replaces it.
        """
        if self._idle is None or self.closed:
            raise PoolClosedError("the analysis pool is not running")
        child = await self._idle.get()
        try:
            await self._started(child)
            return await self._answer(child, child.call(fn, args), limit)
        finally:
            self._idle.put_nowait(child)

    async def run_fed(
        self, fn: Callable[..., T], *args: Any, inputs: AsyncIterable[Any], limit: float | None, shared: bool = False
    ) -> T:
        """Run ``fn(*args)`` as :meth:`run` does, feeding it each item of ``inputs`` as it comes.

        ``fn`` reads the items, pickled on the way, with :func:`sqlflow_magic.server.pool_child.task_inputs`,
        which ends when ``inputs`` ends; it may return before. The task runs on one of the :attr:`fed`
        processes (waiting its turn for one), or, ``shared`` or without any, on one of the :attr:`size`
        shared ones, taking its turn like :meth:`run`'s tasks (then ``inputs`` must not wait for tasks of
        the pool that have not started, which might wait for that process).
        Raises what :meth:`run` raises, and what ``inputs`` raises (the process is then killed and
        replaced, as for a cancelled task). An item that cannot be pickled fails the task with its
        pickling error.
        """
        idle = self._fed_idle if self._fed_children and not shared else self._idle
        if idle is None or self.closed:
            raise PoolClosedError("the analysis pool is not running")
        child = await idle.get()
        feeding: asyncio.Task[None] | None = None
        try:
            await self._started(child)
            future = child.call(fn, args)
            feeding = asyncio.ensure_future(_feed(child, future, inputs))
            # inputs that raise end the task: its process is killed, so the answer below comes at once
            feeding.add_done_callback(lambda done: child.kill() if _failed(done) else None)
            return await self._answer(child, future, limit)
        except Exception:
            if feeding is not None and _failed(feeding):
                raise feeding.exception() from None  # type: ignore[misc]
            raise
        finally:
            if feeding is not None:
                feeding.cancel()
            idle.put_nowait(child)

    async def _started(self, child: ChildProcess) -> None:
        if self.closed:
            raise PoolClosedError("the analysis pool is shut down")
        try:
            ready = child.start()
        except (OSError, ProcessGone) as exc:
            raise self._crashed(f"no analysis process could be started: {exc}") from exc
        try:
            await asyncio.wait_for(asyncio.wrap_future(ready), self._startup_timeout)
        except asyncio.TimeoutError as exc:
            self._replace(child)
            raise self._crashed(f"the analysis process did not start within {self._startup_timeout:g} s") from exc
        except Exception as exc:  # it died, or its initializer failed
            self._replace(child)
            reason = str(exc) if isinstance(exc, ProcessGone) else f"{type(exc).__name__}: {exc}"
            raise self._crashed(f"the analysis process did not start ({reason})") from exc

    async def _answer(self, child: ChildProcess, future: Future[T], limit: float | None) -> T:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except MemoryError as exc:  # raised in the process and sent back: only a process sends one
            self._replace(child)
            raise AnalysisOutOfMemory("the analysis ran out of memory; its process was replaced") from exc.__cause__
        except asyncio.TimeoutError:
            self._replace(child)
            raise AnalysisTimeout(f"the analysis ran longer than {limit:g} s and was stopped") from None
        except ProcessGone as exc:
            self._replace(child)
            raise self._crashed(f"the analysis process ended unexpectedly ({exc}; out of memory?)") from exc
        except asyncio.CancelledError:
            self._replace(child)  # the task cannot be taken back from a running process
            raise

    def _crashed(self, message: str) -> Exception:
        return PoolClosedError("the analysis pool is shut down") if self.closed else AnalysisCrashed(message)

    def _replace(self, child: ChildProcess) -> None:
        """Kill a process and start a fresh one, so the next task finds it warm."""
        child.kill()
        if not self.closed:
            try:
                child.start()
            except Exception:  # e.g. too many processes: the next run() tries again
                logger.warning("could not restart analysis process %s", child.name, exc_info=True)

    async def close(self) -> None:
        """Close for good: kill every process at once, then wait until each is reaped. Safe to call twice."""
        self._closed = True
        for child in self._children + self._fed_children:  # first all at once: running tasks raise now
            child.kill(close=True)
        await asyncio.to_thread(self._wait_until_reaped)

    def _wait_until_reaped(self) -> None:
        for child in self._children + self._fed_children:
            child.kill(close=True, wait=True)


async def _feed(child: ChildProcess, future: Future[Any], inputs: AsyncIterable[Any]) -> None:
    """Send each item of ``inputs`` to the task of ``future``, then the end of them."""
    async for item in inputs:
        if future.done():
            return
        child.feed(future, item)
    child.feed(future, end=True)


def _failed(task: asyncio.Task[None]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is not None
