"""A small pool of analysis processes with a hard time limit per task.

Each slot is a single-process :class:`~concurrent.futures.ProcessPoolExecutor` started with the
``spawn`` method (never ``fork``: the server often runs inside a Jupyter kernel that has threads).
One process per executor means a task that overruns its limit can be killed without touching the
tasks of other slots. Processes start when first needed and are then kept for later tasks; a killed
one is replaced at once, so the next task finds it warm.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlflow_magic.server.analysis import init_analysis_process, warm_up

T = TypeVar("T")
logger = logging.getLogger(__name__)
_LIVE_POOLS: weakref.WeakSet[AnalysisPool] = weakref.WeakSet()


def _kill_at_exit() -> None:
    for pool in list(_LIVE_POOLS):
        pool.kill_all()


# At interpreter exit concurrent.futures waits for every running task before the process may end,
# which a kernel or script that never stopped its server would feel as a hang of up to the time limit.
# Hooks of this kind run in reverse order of registration, so this one (registered after
# concurrent.futures.process was imported above) kills the analyses first.
_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:
    _register_atexit(_kill_at_exit)


class PoolClosedError(RuntimeError):
    """The pool is shutting down (or was shut down); no analysis runs any more."""


class AnalysisTimeout(Exception):
    """A task ran past its hard time limit; its process was killed."""


class AnalysisCrashed(Exception):
    """The analysis process died during a task (killed from outside, out of memory, a crash)."""


class _Slot:
    """One analysis process. Thread-safe: it can be killed from any thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._ready: Future[int] | None = None
        self._closed = False

    def start(self) -> Future[int]:
        """Start the process if it is not running; return the future of its warm-up task."""
        with self._lock:
            if self._closed:
                raise PoolClosedError("the analysis pool is shut down")
            if self._executor is None or self._ready is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=init_analysis_process
                )
                self._ready = self._executor.submit(warm_up)
            return self._ready

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` on this slot's process (started by :meth:`start`)."""
        with self._lock:
            if self._closed or self._executor is None:
                raise PoolClosedError("the analysis pool is shut down")
            return self._executor.submit(fn, *args)

    def kill(self, *, close: bool = False, wait: bool = False) -> None:
        """Kill the process (the executor's ``_processes`` is the only handle on it before Python 3.14).

        ``close`` keeps the slot from starting again; ``wait`` also waits for the executor's
        management thread, which reaps the killed process.
        """
        with self._lock:
            executor, self._executor, self._ready = self._executor, None, None
            self._closed = self._closed or close
        if executor is None:
            return
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            try:
                process.kill()
            except (OSError, ValueError, AttributeError):  # already gone, or not started yet
                pass
        executor.shutdown(wait=wait, cancel_futures=True)


class AnalysisPool:
    """``size`` analysis slots shared by jobs and synchronous requests; ``warm`` of them start at once."""

    def __init__(self, size: int, *, warm: int = 0, startup_timeout: float = 60.0) -> None:
        self._slots = [_Slot(f"analysis-{index}") for index in range(size)]
        self._warm = warm
        self._startup_timeout = startup_timeout
        self._idle: asyncio.LifoQueue[_Slot] | None = None
        self._closed = threading.Event()
        _LIVE_POOLS.add(self)

    @property
    def size(self) -> int:
        """The number of analysis processes the pool may run."""
        return len(self._slots)

    @property
    def closed(self) -> bool:
        """Whether :meth:`kill_all` or :meth:`close` was called."""
        return self._closed.is_set()

    def start(self) -> None:
        """Make the slots available to :meth:`run` and start ``warm`` processes (call it on the event loop)."""
        self._idle = asyncio.LifoQueue()
        for slot in reversed(self._slots):  # LIFO: the last one put is taken first, so warm slots go last
            self._idle.put_nowait(slot)
        for slot in self._slots[: self._warm]:
            slot.start()

    async def run(self, fn: Callable[..., T], *args: Any, limit: float | None) -> T:
        """Run ``fn(*args)`` in an analysis process; kill it if it runs longer than ``limit`` seconds.

        Raises :class:`AnalysisTimeout`, :class:`AnalysisCrashed` or :class:`PoolClosedError`;
        exceptions raised by ``fn`` itself propagate unchanged.
        """
        if self._idle is None or self.closed:
            raise PoolClosedError("the analysis pool is not running")
        slot = await self._idle.get()
        try:
            return await self._run_on(slot, fn, args, limit)
        finally:
            self._idle.put_nowait(slot)

    async def _run_on(self, slot: _Slot, fn: Callable[..., T], args: tuple[Any, ...], limit: float | None) -> T:
        try:
            await asyncio.wait_for(asyncio.wrap_future(slot.start()), self._startup_timeout)
            future = slot.submit(fn, *args)
        except (BrokenProcessPool, asyncio.TimeoutError) as exc:
            self._replace(slot)
            raise self._crashed(
                "the analysis process did not start (a script that starts the server must do so "
                "under `if __name__ == '__main__':`)"
            ) from exc
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except asyncio.TimeoutError:
            self._replace(slot)
            raise AnalysisTimeout(f"the analysis ran longer than {limit:g} s and was stopped") from None
        except BrokenProcessPool as exc:
            self._replace(slot)
            raise self._crashed("the analysis process ended unexpectedly (out of memory?)") from exc
        except asyncio.CancelledError:
            self._replace(slot)  # the task cannot be taken back from a running process
            raise

    def _crashed(self, message: str) -> Exception:
        return PoolClosedError("the analysis pool is shut down") if self.closed else AnalysisCrashed(message)

    def _replace(self, slot: _Slot) -> None:
        """Kill a slot's process and start a fresh one, so the next task finds it warm."""
        slot.kill()
        if not self.closed:
            try:
                slot.start()
            except Exception:  # e.g. too many processes: the next run() tries again
                logger.warning("could not restart analysis process %s", slot.name, exc_info=True)

    def kill_all(self, wait: bool = False) -> None:
        """Stop for good: kill every analysis process. Safe from any thread, and to call twice."""
        self._closed.set()
        for slot in self._slots:
            slot.kill(close=True, wait=wait)

    async def close(self) -> None:
        """Kill every analysis process and wait until they are reaped."""
        await asyncio.to_thread(self.kill_all, True)
