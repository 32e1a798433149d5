"""The pool's handle on one process: :class:`ChildProcess`, one lock, one :meth:`~ChildProcess.start`, one
:meth:`~ChildProcess.kill`.

The process is ``python -m sqlflow_magic.server.pool_child``, a plain subprocess in a session of its
own, not a :mod:`multiprocessing` one: it never imports the server's ``__main__`` (a script needs no
``if __name__ == "__main__":``), and the SIGINT a terminal or a kernel interrupt sends to the server's
process group never reaches it. It finds ``sqlflow_magic`` (and any function it is asked to run) on the
server's own ``sys.path``.

Two daemon threads per process move the frames: one pickles and writes the tasks, one reads the
answers and, once the process has ended, fails the task that was waiting, reaps the process and
closes the pipes. No thread here is ever waited for at interpreter exit: the process ends by itself
when its pipe closes (see :mod:`sqlflow_magic.server.pool_child`). Its stderr goes to an anonymous
temporary file, never into a notebook; its end is logged if it died by itself.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from sqlflow_magic.server.pool_child import call_frame, end_frame, input_frame, read_frame, write_frame

T = TypeVar("T")
logger = logging.getLogger(__name__)
COMMAND = (sys.executable, "-m", "sqlflow_magic.server.pool_child")
#: How much of the stderr of a process that died by itself is logged.
STDERR_TAIL_BYTES = 2000


class ProcessGone(Exception):
    """The process ended before it answered (the message says how: ``killed by SIGKILL``...), or it was closed."""


class RemoteTraceback(Exception):
    """The traceback text of an exception raised in a process (set as the exception's ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0])


def child_environment() -> dict[str, str]:
    """The server's environment, with its ``sys.path`` as PYTHONPATH (absolute, in its order).

    So the process imports ``sqlflow_magic`` from where the server did, installed or not, and can
    unpickle functions of modules the server found on paths it added at run time.
    """
    paths = (os.path.abspath(entry or os.curdir) for entry in sys.path if isinstance(entry, str))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path for path in paths if os.pathsep not in path))
    env["PYTHONSAFEPATH"] = "1"  # Python 3.11+: ``-m`` does not put the working directory first
    return env


def describe_exit(returncode: int | None) -> str:
    """``exit status 1``, ``killed by SIGKILL``..."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _running_future() -> Future[Any]:
    future: Future[Any] = Future()
    future.set_running_or_notify_cancel()  # cancelling its asyncio wrapper must not cancel it
    return future


def _settle(future: Future[Any], frame: bytes | None = None, error: BaseException | None = None) -> None:
    """Complete ``future`` with the answer in ``frame``, or with ``error``; once only."""
    try:
        if frame is not None:
            try:
                answer = pickle.loads(frame)
            except Exception as exc:
                answer = ("error", RuntimeError(f"the answer of the process could not be read: {exc!r}"), "")
            if answer[0] == "ok":
                future.set_result(answer[1])
                return
            _kind, error, text = answer
            if text:
                error.__cause__ = RemoteTraceback(text)
        future.set_exception(error)
    except InvalidStateError:  # completed already
        pass


@dataclass(frozen=True)
class _Input:
    """An input for request ``number`` of a process, or (``end``) the end of its inputs."""

    number: int
    item: Any = None
    end: bool = False


@dataclass(eq=False)
class _Run:
    """One started process, from its start until it is reaped. Its fields change under its handle's lock."""

    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    requests: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any], int] | _Input | None]
    pending: Future[Any] | None  # the task whose answer comes next: first the initializer's
    ready: Future[Any]
    calls: int = 1  # requests sent so far (the initializer is the first): the number of the latest
    fed: tuple[Future[Any] | None, int] = (None, 0)  # the latest task and its number, which its inputs carry
    killed: bool = False
    reaped: bool = False  # its process id may now belong to another process: never signal it
    gone: bool = False  # its answers ended: no task can be sent any more
    threads: list[threading.Thread] = field(default_factory=list)


class ChildProcess:
    """The place of one process in the pool. Thread-safe: one lock guards it, :meth:`kill` works from any thread."""

    def __init__(self, name: str, command: Sequence[str], initializer: Callable[[], Any]) -> None:
        self.name = name
        self._command = tuple(command)
        self._initializer = initializer
        self._lock = threading.Lock()
        self._run: _Run | None = None
        self._killed: _Run | None = None  # the last one killed, so that a kill can wait for it
        self._closed = False

    def start(self) -> Future[Any]:
        """Start the process if none runs; return the future of its initializer's result (ready for tasks then).

        Raises :class:`ProcessGone` once closed, :class:`OSError` if no process can be started.
        """
        with self._lock:
            if self._closed:
                raise ProcessGone(f"the analysis process {self.name} is closed")
            if self._run is None:
                self._run = self._spawn()
            return self._run.ready

    def _spawn(self) -> _Run:
        stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                       close_fds=True, start_new_session=True, env=child_environment())
        except BaseException:
            stderr.close()
            raise
        ready = _running_future()
        run = _Run(process, stderr, queue.SimpleQueue(), ready, ready)
        run.requests.put((self._initializer, (), ready, 1))
        for target, role in ((self._write, "requests"), (self._read, "answers")):
            thread = threading.Thread(target=target, args=(run,), name=f"sqlflow-magic-{self.name}-{role}", daemon=True)
            run.threads.append(thread)
            thread.start()
        return run

    def call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Future[T]:
        """Send ``fn(*args)`` to the running process; the future completes with its result or exception.

        Never blocks: a thread of the process pickles and writes it. Raises :class:`ProcessGone` if the
        process has ended or was killed.
        """
        future = _running_future()
        with self._lock:
            run = self._run
            if run is None or run.gone or run.killed:
                raise ProcessGone(f"the analysis process {self.name} has ended")
            if run.pending is not None:
                raise RuntimeError(f"the analysis process {self.name} is busy")
            run.pending = future
            run.calls += 1
            run.fed = (future, run.calls)
            number = run.calls
        run.requests.put((fn, args, future, number))
        return future

    def feed(self, future: Future[Any], item: Any = None, *, end: bool = False) -> None:
        """Send ``item`` to the task of ``future`` (:meth:`call`), which reads it with
        :func:`~sqlflow_magic.server.pool_child.task_inputs`; ``end``: its inputs end here.

        Never blocks. Nothing is sent once the task has been answered or its process has ended.
        """
        with self._lock:
            run = self._run
            if run is None or run.gone or run.killed or run.pending is not future or run.fed[0] is not future:
                return
            number = run.fed[1]
        run.requests.put(_Input(number, item, end))

    def kill(self, *, close: bool = False, wait: bool = False) -> None:
        """Kill the process (its whole process group), if one runs; the next :meth:`start` starts a new one.

        ``close`` keeps it from starting again; ``wait`` waits until the process is reaped and its pipes closed.
        """
        with self._lock:
            run, self._run = self._run, None
            self._closed = self._closed or close
            if run is not None:
                run.killed = True
                self._signal(run)
                self._killed = run
            run = self._killed
        if run is not None and wait and threading.current_thread() not in run.threads:
            for thread in run.threads:
                thread.join(10)

    def _signal(self, run: _Run) -> None:
        """SIGKILL the process group of ``run`` unless it was reaped (call it holding the lock, like the reaper)."""
        if run.reaped:
            return
        try:
            if hasattr(os, "killpg"):
                os.killpg(run.process.pid, signal.SIGKILL)
            else:  # Windows
                run.process.kill()
        except OSError:  # ended already
            pass

    def _write(self, run: _Run) -> None:
        """The writer thread: pickle and send each task; a task that cannot be pickled fails alone."""
        assert run.process.stdin is not None
        while (request := run.requests.get()) is not None:
            if isinstance(request, _Input):
                if not self._write_input(run, request):
                    return
                continue
            fn, args, future, number = request
            try:
                payload = call_frame(number, fn, args)
            except Exception as exc:
                with self._lock:
                    if run.pending is future:
                        run.pending = None
                _settle(future, error=exc)
                continue
            try:
                write_frame(run.process.stdin, payload)
            except (OSError, ValueError):  # it died: the reader fails the task
                return

    def _write_input(self, run: _Run, request: _Input) -> bool:
        """Send one input (or the end of them); False if the process is gone. An input that cannot be
        pickled fails its task (whose process then sees its inputs end)."""
        assert run.process.stdin is not None
        try:
            payload = end_frame(request.number) if request.end else input_frame(request.number, request.item)
        except Exception as exc:
            with self._lock:
                future = run.fed[0] if run.fed[1] == request.number else None
            if future is not None:
                _settle(future, error=exc)
            payload = end_frame(request.number)
        try:
            write_frame(run.process.stdin, payload)
        except (OSError, ValueError):  # it died: the reader fails the task
            return False
        return True

    def _read(self, run: _Run) -> None:
        """The reader thread: complete each task's future; at the end, reap the process and clean up."""
        assert run.process.stdout is not None
        try:
            while (frame := read_frame(run.process.stdout)) is not None:
                with self._lock:
                    future, run.pending = run.pending, None
                if future is not None:
                    _settle(future, frame)
        except (OSError, ValueError):
            pass
        with self._lock:
            run.gone = True
            future, run.pending = run.pending, None
        self._reap(run)
        run.requests.put(None)
        how = describe_exit(run.process.returncode)
        if future is not None:
            _settle(future, error=ProcessGone(how))
        if not run.killed:
            logger.warning("analysis process %s (pid %d) ended: %s%s", self.name, run.process.pid, how, _tail(run))
        for stream in (run.process.stdin, run.process.stdout, run.stderr):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):  # e.g. a request still buffered for the dead process
                pass

    def _reap(self, run: _Run) -> None:
        """Wait until the process has ended (killing it if it closed stdout but lives on) and reap it."""
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                if run.process.poll() is not None:
                    run.reaped = True
                    return
                if time.monotonic() > deadline:
                    self._signal(run)
            time.sleep(0.002)


def _tail(run: _Run) -> str:
    try:
        size = run.stderr.seek(0, os.SEEK_END)
        run.stderr.seek(max(0, size - STDERR_TAIL_BYTES))
        text = run.stderr.read().decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return ""
    return f"; its last output:\n{text}" if text else ""
