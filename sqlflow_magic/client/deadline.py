"""The total deadline of one call: connect, send, the complete answer and any retries, in one budget.

httpx's timeouts bound each connect, read and write on its own, so a server that sends a byte now and
then (a trickled answer, or trickled headers) holds a call for as long as it likes. A :class:`Deadline`
bounds the whole call, three ways:

* every attempt gets httpx timeouts no longer than the time left (:meth:`Deadline.timeout`);
* the answer is read piece by piece and the time checked after each piece (``client/answer_reading.py``);
* a watchdog shuts the call's connections down when the deadline passes, so that a read or write waiting
  on a stalled server ends then rather than one timeout later. It finds each connection's socket through
  httpx's public ``trace`` request extension (the ``connect_tcp`` and ``start_tls`` events), which is why
  the client keeps no idle connections: each call makes its own (``client/transport.py``).

The watchdog is one daemon thread for every call of the process (:class:`_Watchdog`), started with the
first call. It sleeps until the earliest deadline of the calls under way and is woken only when a call
ends sooner than that. A thread per call (a ``threading.Timer``) cost every call a thread start, which
waits for the new thread to run: 0.1 to 0.9 ms of a 3 ms submit on a busy machine
(``benchmarks/submit_overhead.py``).

The budget is ``request_deadline`` plus one second per :data:`UPLOAD_BYTES_PER_SECOND` uploaded, so that a
big upload on a slow link still gets through while a call that uploads nothing (a status, a job list,
an export) ends within ``request_deadline`` whatever the server does (``docs/security.md``).
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["UPLOAD_BYTES_PER_SECOND", "Deadline", "DeadlinePassed"]

#: The slowest upload the deadline makes room for: 128 KiB/s, a 1 Mbit/s link.
UPLOAD_BYTES_PER_SECOND = 128 * 1024


class DeadlinePassed(Exception):
    """Raised inside the client when the time is up; the sender turns it into a one-line error."""


class Deadline:
    """One call's budget: ``request_deadline`` seconds, plus the upload's allowance, from now on.

    Use it as a context manager around the call: on entry its timer starts, on exit it stops.
    """

    def __init__(self, request_deadline: float, upload_bytes: int = 0) -> None:
        self.request_deadline = request_deadline
        self.upload_allowance = upload_bytes / UPLOAD_BYTES_PER_SECOND
        self.seconds = request_deadline + self.upload_allowance
        self.ends = time.monotonic() + self.seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._fired = False

    def __enter__(self) -> Deadline:
        _WATCHDOG.watch(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _WATCHDOG.forget(self)

    def left(self) -> float:
        """Seconds left; zero or less once the deadline has passed."""
        return self.ends - time.monotonic()

    @property
    def passed(self) -> bool:
        return self._fired or self.left() <= 0

    def check(self) -> None:
        """Raise :class:`DeadlinePassed` if the time is up."""
        if self.passed:
            raise DeadlinePassed

    def describe(self) -> str:
        """The budget as an error states it: "300 s", or "1 s + 64 s for the upload"."""
        if self.upload_allowance < 0.5:
            return f"{self.request_deadline:g} s"
        return f"{self.request_deadline:g} s + {self.upload_allowance:.0f} s for the upload"

    def timeout(self, connect: float, read: float) -> httpx.Timeout:
        """httpx timeouts for the next attempt: the configured ones, none longer than the time left."""
        left = max(self.left(), 0.001)
        return httpx.Timeout(connect=min(connect, left), read=min(read, left), write=min(read, left),
                             pool=min(connect, left))

    @property
    def fired(self) -> bool:
        """Whether the watchdog shut the call's connections down (its time ran out during the call)."""
        return self._fired

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpx's ``trace`` request extension: remember the socket of each connection the call makes."""
        if not event.endswith(".complete"):
            return
        get_extra_info = getattr(info.get("return_value"), "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        if isinstance(sock, socket.socket):
            self.adopt(sock)

    def adopt(self, sock: socket.socket) -> None:
        """Shut ``sock`` down too when the time runs out: the socket of a kept connection the call may reuse,
        of which httpx's trace says nothing (``client/kept_connection.py``)."""
        with self._lock:
            self._sockets.append(sock)
            late = self._fired
        if late:
            _shut(sock)

    def sockets(self) -> list[socket.socket]:
        """The sockets of the connections the call made or adopted."""
        with self._lock:
            return list(self._sockets)

    def _shut_down(self) -> None:
        with self._lock:
            self._fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


class _Watchdog:
    """Shuts down the connections of every call whose deadline passes, from one daemon thread.

    ``watch`` and ``forget`` never wait for the thread: a new deadline wakes it only when it ends before
    the thread's next wake-up, and a forgotten one is simply left out at that wake-up.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._live: set[Deadline] = set()
        self._wakes_at = math.inf
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._condition:
            self._live.add(deadline)
            if self._thread is None or not self._thread.is_alive():  # the first call (or the first after a fork)
                self._thread = threading.Thread(target=self._run, name="sqlflow-magic call deadlines", daemon=True)
                self._thread.start()
            elif deadline.ends < self._wakes_at:
                self._condition.notify()

    def forget(self, deadline: Deadline) -> None:
        with self._condition:
            self._live.discard(deadline)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                due = [deadline for deadline in self._live if deadline.ends <= now]
                if due:
                    self._live.difference_update(due)
                    self._condition.release()  # shutting sockets down must not hold up watch() and forget()
                    try:
                        for deadline in due:
                            deadline._shut_down()
                    finally:
                        self._condition.acquire()
                    continue
                self._wakes_at = min((deadline.ends for deadline in self._live), default=math.inf)
                self._condition.wait(None if self._wakes_at == math.inf else self._wakes_at - now)


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    """End every read and write waiting on ``sock`` (they see the connection closed), from any thread.

    ``socket.socket.shutdown`` is called as the plain socket's method even on a TLS socket: ``SSLSocket``'s
    own would also drop its TLS state under a read running in another thread. The socket stays open (its
    owner closes it), so its number cannot be reused meanwhile; an already closed one is left alone.
    """
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
