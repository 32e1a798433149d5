"""The inside of an analysis process: ``python -m sqlflow_magic.server.pool_child``, and the frames it speaks.

The pool (:mod:`sqlflow_magic.server.pool`) starts it with pipes on stdin and stdout. Both carry
frames: an 8-byte big-endian length, then that many bytes of a pickle.

* Each frame read from stdin starts with its kind and the 8-byte number of a request (the first is 1,
  the initializer; each next one counts on). A request, ``b"c"``, carries a pickle of ``(function, args)``;
  the answer is ``("ok", function(*args))`` or ``("error", exception, traceback text)``. An exception or
  a result that cannot be pickled is answered with a :class:`RuntimeError` that describes it; a result
  too large to pickle within the process's memory limit, with a :class:`MemoryError`.
* An input, ``b"i"``, carries a pickle of one input for the request of its number while that request
  runs (:meth:`AnalysisPool.run_fed <sqlflow_magic.server.pool.AnalysisPool.run_fed>`); ``b"e"`` ends
  that request's inputs. The task reads them with :func:`task_inputs`. Inputs of a task that has ended
  are dropped, so a task that stops reading early leaves nothing for the next one.
* At the end of stdin the process ends at once, even in the middle of a task. That is how an
  analysis process never outlives its server: when the server closes the pipe, exits or is killed
  (``kill -9`` included), the operating system closes its end and this process sees the end.

Whatever a task writes to stdout goes to stderr instead, so it cannot garble the answers. Ctrl-C is
ignored: the process runs in a session of its own, and the server stops its analyses itself.
The process owns the garbage collector's policy (:func:`tune_collector`, :func:`settle_between_tasks`,
:func:`collections_paused`);
the lineage engine changes no process-wide state. See ``docs/server.md``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import IO, Any

_HEADER = struct.Struct("!Q")
#: The kinds of frame the server sends: a request, an input of the running task, the end of its inputs.
CALL, INPUT, END = b"c", b"i", b"e"
_NUMBER = struct.Struct("!Q")
#: The collector's thresholds in an analysis process: young collections as Python's default, a full
#: collection only after 10,000 collections of the middle generation (Python: 10), about 70 million new
#: objects: none during most tasks, whose cyclic garbage the collection after each task finds.
COLLECTOR_THRESHOLDS = (700, 10, 10_000)


def tune_collector() -> None:
    """Set the garbage collector up for long analyses (the analysis process calls it once, at start).

    What an analysis keeps (its result) only grows, and every full collection walks all of it again:
    with Python's thresholds, a 5 MB script spent most of its time in full collections. The engine
    takes each dead tree apart so that reference counting frees it, so little cyclic garbage is left
    to the collector, and what there is dies young: the full collections of a 5 MB script's analysis
    (five after 100 middle ones) found 96 objects in a fifth of its time. So a task runs without them
    but in the extreme (:data:`COLLECTOR_THRESHOLDS`), and :func:`settle_between_tasks` collects
    everything after it. Benchmarks call this too, to measure what the server runs.
    """
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def settle_between_tasks() -> None:
    """After a task: collect its cyclic garbage, then freeze what is left (the imports, the dialects'
    caches) so that no later collection walks it again."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile, for work that makes objects by the million and frees none:
    the collector would walk them again and again, for nothing, since that work leaves no cycles behind.

    What runs under it: the merge of a job's batches and a batch's encoding (two thirds and three fifths of
    their time were collections), and the rendering of a job's exports, the lineage JSON and every view
    (``server/analysis.py``, ``server/export_rendering.py``): for the 5 MB script of ``docs/performance.md``
    the column-level lineage JSON took 3.5 s with collections, 1.1 s without.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Write one frame (length, then ``payload``) and flush it."""
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """Read one frame's payload; None at the end of the stream (also in the middle of a frame)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def call_frame(number: int, function: object, args: tuple[object, ...]) -> bytes:
    """The frame payload of request ``number``."""
    return CALL + _NUMBER.pack(number) + pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL)


def input_frame(number: int, item: object) -> bytes:
    """The frame payload of an input of request ``number``."""
    return INPUT + _NUMBER.pack(number) + pickle.dumps(item, pickle.HIGHEST_PROTOCOL)


def end_frame(number: int) -> bytes:
    """The frame payload that ends the inputs of request ``number``."""
    return END + _NUMBER.pack(number)


class _Inputs:
    """The inputs of the running task, sorted out of the frames by the receiving thread."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[tuple[int, bytes | None]] = queue.SimpleQueue()
        self.current = 0  # the number of the request being answered (set by the main thread only)

    def drop_stale(self) -> None:
        """Forget the inputs of tasks that have ended (the main thread, between tasks)."""
        pending = []
        while True:
            try:
                number, payload = self.queue.get_nowait()
            except queue.Empty:
                break
            if number >= self.current:  # this task's, arrived before it started
                pending.append((number, payload))
        for item in pending:
            self.queue.put(item)


_INPUTS = _Inputs()


def task_inputs() -> Iterator[Any]:
    """The inputs fed to the running task (:meth:`AnalysisPool.run_fed
    <sqlflow_magic.server.pool.AnalysisPool.run_fed>`), one at a time as they arrive, until the feed ends.

    Call it from the task, in an analysis process; a task run by :meth:`AnalysisPool.run
    <sqlflow_magic.server.pool.AnalysisPool.run>` gets no inputs and would wait for ever.
    """
    while True:
        number, payload = _INPUTS.queue.get()
        if number != _INPUTS.current:
            continue  # left over from an earlier task that stopped reading
        if payload is None:
            return
        yield pickle.loads(payload)


def encode_error(exc: BaseException) -> bytes:
    """``("error", exc, traceback text)`` pickled; ``exc`` becomes a RuntimeError if it cannot make the trip."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        payload = pickle.dumps(("error", exc, text), pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)  # e.g. an exception whose __init__ needs other arguments than its args
        return payload
    except Exception:
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), text), pickle.HIGHEST_PROTOCOL)


def answer(request: bytes) -> bytes:
    """Run one pickled request and return its pickled answer."""
    try:
        function, args = pickle.loads(request)
        result = function(*args)
    except Exception as exc:
        return encode_error(exc)
    try:
        return pickle.dumps(("ok", result), pickle.HIGHEST_PROTOCOL)
    except MemoryError:  # the result did not fit twice in the memory limit: that is the task's MemoryError too
        del result
        return encode_error(MemoryError("the result of the analysis could not be sent: out of memory"))
    except Exception as exc:
        problem = RuntimeError(f"the result of the analysis could not be sent: {type(exc).__name__}: {exc}")
        return encode_error(problem)


def _receive(requests: IO[bytes], inbox: queue.SimpleQueue[tuple[int, bytes]]) -> None:
    """Pass each request on to the main thread, numbered, and each input to :func:`task_inputs`; end the
    process as soon as the pipe ends.

    A thread of its own, so the end is seen while the main thread is busy with a task.
    """
    try:
        while (frame := read_frame(requests)) is not None:
            kind, (number,), payload = frame[:1], _NUMBER.unpack_from(frame, 1), frame[1 + _NUMBER.size :]
            if kind == CALL:
                inbox.put((number, payload))
            else:
                _INPUTS.queue.put((number, payload if kind == INPUT else None))
    finally:
        os._exit(0)  # at once: no exit handler, no waiting for the task in the main thread


def _take_standard_streams() -> tuple[IO[bytes], IO[bytes]]:
    """Keep stdin and stdout for the frames; the tasks get /dev/null and stderr in their place."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return requests, answers


def main() -> int:
    """Answer requests until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.enable()  # a crash leaves its traceback on stderr, which the pool reports
    requests, answers = _take_standard_streams()
    inbox: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(requests, inbox), name="sqlflow-magic-requests", daemon=True).start()
    tune_collector()
    try:
        while True:
            number, request = inbox.get()
            _INPUTS.current = number
            _INPUTS.drop_stale()
            write_frame(answers, answer(request))
            # the answer is out, but a task already sent waits for this: cheap when the last task left no
            # cycles (an analysis leaves none: docs/engine.md, "An analysis is freed as soon as it is let go")
            settle_between_tasks()
    except BrokenPipeError:  # the server is gone; leave without flushing into the broken pipe again
        os._exit(0)


if __name__ == "__main__":
    # run as the imported module, not as __main__: a task's ``task_inputs`` must read this very queue
    from sqlflow_magic.server.pool_child import main as imported_main

    sys.exit(imported_main())
