"""One connection kept between a client's calls, without weakening any call's deadline.

A call on a new connection pays for the connect (and, over HTTPS, the TLS handshake): about 0.3 ms
of a 2.5 ms submit to a server on this machine, and one more for each poll and export of
``%%sqlflow_submit --wait``. Keeping the connection of the last call for the next one saves it,
but the deadline (``client/deadline.py``) shuts a call's connection down through its socket, and
httpx tells of a socket only when a connection is made (the ``trace`` extension's ``connect_tcp``
and ``start_tls`` events): a call that reuses a kept connection hears of none. :class:`ConnectionKeeper`
closes that gap with public httpx only:

* calls that may reuse the kept connection go one at a time through a client of their own that keeps
  at most one idle connection (``max_keepalive_connections=1``); a call made while another is under
  way (another thread) goes through a client that keeps none, as every call did before;
* each call through the keeping client is handed the sockets of the previous one's connection
  (:meth:`Deadline.adopt <sqlflow_magic.client.deadline.Deadline.adopt>`) before it is sent: if httpx
  reuses that connection, its deadline can shut it; if it makes a new one, the trace tells as before;
* a call that did not end with its complete answer (its deadline passed, the connection broke,
  Ctrl-C) leaves nothing behind: the keeping client is closed with its connections and replaced, so
  a connection a deadline shut down, or one with half an answer in it, is never used again;
* a connection is kept for :data:`KEEP_SECONDS` at most, far less than the idle timeout of any
  server (uvicorn's is 5 s, nginx's 75 s), so a kept connection is never one the server is closing,
  which would lose a submit sent on it.

With a transport of its own (tests, ``SQLFlowClient(transport=...)``) a client keeps no connection.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from .deadline import Deadline

__all__ = ["KEEP_SECONDS", "ConnectionKeeper"]

#: How long an idle connection is kept for the next call: the calls of one ``--wait`` follow each other
#: within milliseconds; a notebook's cells come seconds apart and connect anew.
KEEP_SECONDS = 1.0


class ConnectionKeeper:
    """Chooses the ``httpx.Client`` of each call: ``make_keeping()`` builds the one that keeps a connection
    (None: no connection is kept), ``fresh`` is the one that keeps none."""

    def __init__(self, fresh: httpx.Client, make_keeping: Callable[[], httpx.Client] | None) -> None:
        self._fresh = fresh
        self._make_keeping = make_keeping
        self._keeping: httpx.Client | None = None
        self._kept: list[socket.socket] = []  # the sockets of the connection the keeping client may hold
        self._lock = threading.Lock()
        self._closed = False
        #: False: every call connects anew, as before (``benchmarks/submit_overhead.py`` measures both).
        self.keep = make_keeping is not None

    @contextmanager
    def client_for(self, deadline: Deadline) -> Iterator[httpx.Client]:
        """The client for one call under ``deadline``: the keeping one (its kept sockets adopted by the
        deadline) when no other call uses it, else the fresh one."""
        if not self.keep or self._make_keeping is None or self._closed or not self._lock.acquire(blocking=False):
            yield self._fresh
            return
        try:
            if self._keeping is None:
                self._keeping = self._make_keeping()
            for sock in self._kept:
                deadline.adopt(sock)
            try:
                yield self._keeping
            except BaseException:
                self._discard()
                raise
            if deadline.fired:  # shut down under a read or write: whatever it holds is not used again
                self._discard()
            else:
                self._kept = [sock for sock in deadline.sockets() if sock.fileno() != -1]
        finally:
            self._lock.release()

    def _discard(self) -> None:
        """Close the keeping client and its connections; the next call builds a new one."""
        keeping, self._keeping, self._kept = self._keeping, None, []
        if keeping is not None:
            keeping.close()

    def close(self) -> None:
        """Close both clients at once, even under a call in another thread (which then fails, as it did on
        one client); later calls go through the fresh one, which fails as a closed client does."""
        self._closed = True
        keeping = self._keeping
        if keeping is not None:
            keeping.close()
        self._fresh.close()
