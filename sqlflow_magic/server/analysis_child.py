"""The server's handle on one analysis process (see :mod:`sqlflow_magic.server.analysis_process`).

The process is a plain ``python -m sqlflow_magic.server.analysis_process`` subprocess, not a
:mod:`multiprocessing` one: it never imports the server's ``__main__`` (so a script that starts
the server needs no ``if __name__ == "__main__":``), and it runs in a session of its own, so the
SIGINT a terminal or a Jupyter kernel interrupt sends to the whole process group never reaches it.
It finds ``sqlflow_magic`` (and any function it is asked to run) on the server's own ``sys.path``.

A thread per process reads its answers and completes the future of the request being run; when
the process ends it fails that future with :class:`ProcessGone`, reaps the process and closes
the pipes. The process's stderr goes to an anonymous temporary file, never into a notebook; its
end is logged if the process died by itself.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, InvalidStateError
from typing import IO, Any

from sqlflow_magic.server.analysis_process import read_frame, write_frame

logger = logging.getLogger(__name__)
COMMAND = (sys.executable, "-m", "sqlflow_magic.server.analysis_process")
#: How much of the stderr of a process that died by itself is logged.
STDERR_TAIL_BYTES = 2000


class ProcessGone(Exception):
    """The analysis process ended before it answered (killed, out of memory, crashed)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in an analysis process (set as its ``__cause__``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def child_environment() -> dict[str, str]:
    """The server's environment, with its ``sys.path`` as PYTHONPATH (absolute, in its order).

    So the process imports ``sqlflow_magic`` from where the server did, installed or not, and
    can unpickle functions of modules the server found on paths it added at run time.
    """
    paths = (os.path.abspath(entry or os.curdir) for entry in sys.path if isinstance(entry, str))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path for path in paths if os.pathsep not in path))
    env["PYTHONSAFEPATH"] = "1"  # Python 3.11+: ``-m`` does not put the working directory first
    return env


def _running_future() -> Future[Any]:
    future: Future[Any] = Future()
    future.set_running_or_notify_cancel()  # cancelling its asyncio wrapper must not cancel it
    return future


def _settle(future: Future[Any], frame: bytes) -> None:
    """Complete ``future`` with the answer in ``frame``."""
    try:
        answer = pickle.loads(frame)
    except Exception as exc:
        answer = ("error", RuntimeError(f"the answer of the analysis process could not be read: {exc!r}"), "")
    try:
        if answer[0] == "ok":
            future.set_result(answer[1])
            return
        _kind, exc, text = answer
        if text:
            exc.__cause__ = RemoteTraceback(text)
        future.set_exception(exc)
    except InvalidStateError:  # completed already
        pass


def _fail(future: Future[Any], exc: BaseException) -> None:
    try:
        future.set_exception(exc)
    except InvalidStateError:
        pass


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


class AnalysisChild:
    """One analysis process; it runs one request at a time. Thread-safe: it can be killed from any thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                COMMAND,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                close_fds=True,
                start_new_session=True,
                env=child_environment(),
            )
        except BaseException:
            self._stderr.close()
            raise
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests: IO[bytes] = self._process.stdin
        self._answers: IO[bytes] = self._process.stdout
        #: Completed with the process id once the process is ready for requests.
        self.ready: Future[int] = _running_future()
        self._pending: Future[Any] | None = self.ready
        self._gone = False  # the answers ended: no request can be sent any more
        self._reaped = False  # the process id may now belong to another process: never signal it
        self._killed = False
        self._reader = threading.Thread(target=self._read_answers, name=f"sqlflow-magic-{name}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The process id (also the id of its process group and session)."""
        return self._process.pid

    def submit(self, fn: Any, args: tuple[Any, ...]) -> Future[Any]:
        """Send ``fn(*args)`` to the process; the future completes with its result or exception.

        Raises :class:`ProcessGone` if the process has ended, and whatever pickling raises if
        ``fn`` or ``args`` cannot be sent. The write may block while the process reads it, so
        call this off the event loop.
        """
        payload = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        future = _running_future()
        with self._lock:
            if self._gone or self._killed:
                raise ProcessGone(f"the analysis process {self.name} has ended")
            if self._pending is not None:
                raise RuntimeError(f"the analysis process {self.name} is busy")
            self._pending = future
        try:
            write_frame(self._requests, payload)
        except (OSError, ValueError):  # it died meanwhile: the reader fails the future
            pass
        return future

    def kill(self, wait: bool = False) -> None:
        """Kill the process (its whole process group); ``wait`` until it is reaped and its pipes closed."""
        with self._lock:
            self._killed = True
            if not self._reaped:  # reaping happens under the same lock: the id cannot be reused meanwhile
                try:
                    if hasattr(os, "killpg"):
                        os.killpg(self._process.pid, signal.SIGKILL)
                    else:  # Windows
                        self._process.kill()
                except OSError:  # ended already
                    pass
        if wait and threading.current_thread() is not self._reader:
            self._reader.join(10)

    def _read_answers(self) -> None:
        """The reader thread: complete each request's future, then clean up after the process."""
        try:
            while (frame := read_frame(self._answers)) is not None:
                with self._lock:
                    future, self._pending = self._pending, None
                if future is not None:
                    _settle(future, frame)
        except (OSError, ValueError):
            pass
        with self._lock:
            self._gone = True
            future, self._pending = self._pending, None
        self._reap()
        how = describe_exit(self._process.returncode)
        if future is not None:
            _fail(future, ProcessGone(how))
        if not self._killed:
            logger.warning("analysis process %s (pid %d) ended: %s%s", self.name, self.pid, how, self._stderr_tail())
        for stream in (self._requests, self._answers, self._stderr):
            try:
                stream.close()
            except (OSError, ValueError):  # e.g. a request still buffered for the dead process
                pass

    def _reap(self) -> None:
        """Wait until the process has ended (killing it if it closed stdout but lives on) and reap it."""
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                if self._process.poll() is not None:
                    self._reaped = True
                    return
            if time.monotonic() > deadline:
                self.kill()
            time.sleep(0.002)

    def _stderr_tail(self) -> str:
        try:
            size = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, size - STDERR_TAIL_BYTES))
            text = self._stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return f"; its last output:\n{text}" if text else ""
