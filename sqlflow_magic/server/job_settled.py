"""A held status request: ``displayUserJobSummary`` with ``waitMillis`` answers once the job is final.

SQLFlow's clients learn that a job is done by polling its summary. A poll that comes too early
costs a request; one that comes too late costs the user the time in between (a 20-statement job is
analysed in about 20 ms, and ``%%sqlflow_submit --wait`` used to see it final one poll later, up to
half its run time). The local server offers an extension that SQLFlow does not have: a status
request with the field ``waitMillis=N`` (0 to :data:`MAX_WAIT_MILLIS`) is held until the job's
analysis ends or N milliseconds pass, whichever comes first, and then answered exactly as an
ordinary one (``docs/server.md``, "Held status requests"). SQLFlow ignores the field and answers at
once, so a client that sends it still has to poll on (``client/waiting.py`` does).

:class:`SettledJobs` is the meeting point: a held request watches its job before it reads it (so an
analysis ending in between is not missed), and the worker announces each job whose analysis ended.
Requests held when the server stops are released at once (:meth:`SettledJobs.release_all`), so that
a shutdown never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from sqlflow_magic.server.responses import BAD_REQUEST, Rejection

__all__ = ["MAX_WAIT_MILLIS", "WAIT_FIELD", "SettledJobs", "parse_wait"]

#: The form field of a held status request.
WAIT_FIELD = "waitMillis"
#: The longest a status request is held: 10 s, well within any client's read timeout.
MAX_WAIT_MILLIS = 10_000


def parse_wait(value: str | None) -> float:
    """The seconds a status request may be held: its ``waitMillis`` field's ``value`` (None: 0, answered at once)."""
    if value is None:
        return 0.0
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_WAIT_MILLIS:
        raise Rejection(BAD_REQUEST, f"{WAIT_FIELD} must be a whole number of milliseconds from 0 to "
                                     f"{MAX_WAIT_MILLIS}, not {value!r}")
    return int(value) / 1000


class SettledJobs:
    """Wakes the status requests held for a job when its analysis ends. Used on the event loop only."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._released = False

    @contextlib.contextmanager
    def watching(self, job_id: str) -> Iterator[asyncio.Event]:
        """An event set when job ``job_id``'s analysis ends (or the server stops), for the ``with`` block."""
        event = asyncio.Event()
        if self._released:
            event.set()
        watchers = self._watchers.setdefault(job_id, set())
        watchers.add(event)
        try:
            yield event
        finally:
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(job_id, None)

    def announce(self, job_id: str) -> None:
        """The analysis of ``job_id`` ended (its outcome is stored, or it was not): wake its watchers."""
        for event in self._watchers.get(job_id, ()):
            event.set()

    def release_all(self) -> None:
        """The server is stopping: wake every held request now and hold none from now on."""
        self._released = True
        for watchers in self._watchers.values():
            for event in watchers:
                event.set()
