"""A small pool of analysis processes with a hard time limit per task.

Each slot runs one analysis process (:class:`~sqlflow_magic.server.analysis_child.AnalysisChild`,
a plain subprocess in a session of its own), one task at a time, so a task that overruns its limit
can be killed without touching the tasks of other slots. Processes start when first needed and
are then kept for later tasks; a killed one is replaced at once, so the next task finds it warm.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures.thread  # noqa: F401  (its exit hook must be registered before ours)
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlflow_magic.server.analysis_child import AnalysisChild, ProcessGone

T = TypeVar("T")
logger = logging.getLogger(__name__)
_LIVE_POOLS: weakref.WeakSet[AnalysisPool] = weakref.WeakSet()


def _kill_at_exit() -> None:
    for pool in list(_LIVE_POOLS):
        pool.kill_all()


# At interpreter exit concurrent.futures waits for its worker threads, and one of them may be
# sending a task to an analysis process; a kernel or script that never stopped its server would
# feel that as a hang. Hooks of this kind run in reverse order of registration, so this one
# (registered after concurrent.futures.thread was imported above) kills the analyses first.
getattr(threading, "_register_atexit", atexit.register)(_kill_at_exit)


class PoolClosedError(RuntimeError):
    """The pool is shutting down (or was shut down); no analysis runs any more."""


class AnalysisTimeout(Exception):
    """A task ran past its hard time limit; its process was killed."""


class AnalysisCrashed(Exception):
    """The analysis process died during a task (killed from outside, out of memory, a crash)."""


class _Slot:
    """The place of one analysis process in the pool. Thread-safe: it can be killed from any thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._child: AnalysisChild | None = None
        self._closed = False

    def start(self) -> Future[int]:
        """Start the process if it is not running; return the future of its process id, set once it is ready.

        Raises :class:`PoolClosedError`, or :class:`OSError` if no process can be started.
        """
        with self._lock:
            if self._closed:
                raise PoolClosedError("the analysis pool is shut down")
            if self._child is None:
                self._child = AnalysisChild(self.name)
            return self._child.ready

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Send ``fn(*args)`` to this slot's process (started by :meth:`start`); it may block briefly."""
        with self._lock:
            child = self._child
            if self._closed or child is None:
                raise PoolClosedError("the analysis pool is shut down")
        return child.submit(fn, args)

    def kill(self, *, close: bool = False, wait: bool = False) -> None:
        """Kill the process; ``close`` keeps the slot from starting again, ``wait`` waits until it is reaped."""
        with self._lock:
            child, self._child = self._child, None
            self._closed = self._closed or close
        if child is not None:
            child.kill(wait=wait)


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
            try:
                slot.start()
            except OSError:  # the first run() tries again, and reports it
                logger.warning("could not start analysis process %s", slot.name, exc_info=True)

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
            ready = slot.start()
        except OSError as exc:
            raise self._crashed(f"no analysis process could be started: {exc}") from exc
        try:
            await asyncio.wait_for(asyncio.wrap_future(ready), self._startup_timeout)
        except asyncio.TimeoutError as exc:
            self._replace(slot)
            raise self._crashed(f"the analysis process did not start within {self._startup_timeout:g} s") from exc
        except Exception as exc:  # it died, or could not import the lineage engine
            self._replace(slot)
            reason = str(exc) if isinstance(exc, ProcessGone) else f"{type(exc).__name__}: {exc}"
            raise self._crashed(f"the analysis process did not start ({reason})") from exc

        async def call() -> T:
            future = await asyncio.to_thread(slot.submit, fn, *args)  # a big request takes a while to write
            return await asyncio.wrap_future(future)

        try:
            return await asyncio.wait_for(call(), limit)
        except asyncio.TimeoutError:
            self._replace(slot)
            raise AnalysisTimeout(f"the analysis ran longer than {limit:g} s and was stopped") from None
        except ProcessGone as exc:
            self._replace(slot)
            raise self._crashed(f"the analysis process ended unexpectedly ({exc}; out of memory?)") from exc
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
            except PoolClosedError:  # kill_all() came in between
                pass
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
