"""Waiting for a SQLFlow job to finish: polling with growing intervals within a time limit.

The official sample clients poll in a tight loop, or every 2 s, and never stop on an error; this one
polls at once, then after growing pauses, stops at ``max_wait`` and lets every error through. How fast
it starts depends on where the server is (:func:`poll_schedule`):

* a server on this machine (the embedded one, or any on a loopback address): a poll costs a millisecond
  or two, so the pauses start at 20 ms and grow 1.5 times up to 5 s (:data:`LOCAL_POLLS`). A job is seen
  finished at most about half its run time after it finishes (doubling would allow a whole run time:
  ``benchmarks/submit_latency.py`` measures both), and a small one tens of milliseconds after, not after
  a fixed half second;
* any other server: the pauses start at 0.5 s, a floor that keeps a remote server's load low, and grow
  1.6 times up to 5 s (:data:`REMOTE_POLLS`).

A poll of a server on this machine also asks to be held (``waitMillis``, :attr:`PollSchedule.hold`):
the local server answers it the moment the job's analysis ends, or after :data:`LOCAL_HOLD_SECONDS`,
so a job is seen final as soon as it is, with one poll for a small job
(``docs/server.md``, "Held status requests"). A poll the server held for the whole time is itself the
pause, so the next one follows at once. A server that does not hold polls (SQLFlow ignores the field)
is polled on the pauses above, as before.

Either way a server that answers the status with ``Retry-After: N`` gets no poll sooner than N seconds
later (:attr:`~sqlflow_magic.client.models.Job.retry_after`); a 429 or 503 is retried by the transport
after its ``Retry-After`` (``client/transport.py``).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from .errors import SQLFlowError
from .models import Job


class WaitTimeoutError(SQLFlowError):
    """The job did not reach a final status within the time limit. The job goes on."""


class WaitInterruptedError(SQLFlowError):
    """The user pressed Ctrl-C (interrupted the kernel) while waiting. The job goes on."""


@dataclass(frozen=True)
class PollSchedule:
    """Pauses between polls: ``initial`` seconds, times ``factor`` each time, at most ``maximum``; each poll
    asks the server to hold it up to ``hold`` seconds until the job is final (0: answer at once)."""

    initial: float = 0.5
    maximum: float = 5.0
    factor: float = 1.6
    hold: float = 0.0

    def intervals(self) -> Iterator[float]:
        interval = self.initial
        while True:
            yield interval
            interval = min(self.maximum, interval * self.factor)


#: How long a poll of a server on this machine asks to be held: the progress shown while waiting is
#: updated about this often, and a Ctrl-C is answered at once anyway.
LOCAL_HOLD_SECONDS = 1.0
#: Against a server on this machine: polls held up to 1 s; between polls the server did not hold, pauses of
#: 20 ms, 30 ms, 45 ms, 67.5 ms, ... up to 5 s (after 14 pauses, 15 s).
LOCAL_POLLS = PollSchedule(initial=0.02, maximum=5.0, factor=1.5, hold=LOCAL_HOLD_SECONDS)
#: Against any other server: 0.5 s, 0.8 s, 1.28 s, ... up to 5 s.
REMOTE_POLLS = PollSchedule(initial=0.5, maximum=5.0, factor=1.6)


def is_local(base_url: str) -> bool:
    """True when ``base_url``'s host is this machine: ``localhost`` or a loopback address."""
    try:
        host = urlsplit(base_url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def poll_schedule(base_url: str, *, embedded: bool = False) -> PollSchedule:
    """The schedule for a server at ``base_url``: :data:`LOCAL_POLLS` on this machine (or ``embedded``),
    :data:`REMOTE_POLLS` elsewhere."""
    return LOCAL_POLLS if embedded or is_local(base_url) else REMOTE_POLLS


def held_within(schedule: PollSchedule, *limits: float) -> PollSchedule:
    """``schedule`` with its hold shortened to half the shortest of ``limits`` (a read timeout, a call's
    deadline, the longest wait), so that a held poll never runs into any of them."""
    return replace(schedule, hold=min(schedule.hold, *(limit / 2 for limit in limits)))


def wait_for_job(
    job_id: str,
    fetch: Callable[[], Job],
    *,
    max_wait: float,
    on_update: Callable[[Job, float], None] = lambda job, elapsed: None,
    schedule: PollSchedule = REMOTE_POLLS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Job:
    """Poll ``fetch`` (the summary of job ``job_id``) until its status is final; return that job.

    The first poll is made at once, then one after each pause of ``schedule`` (``poll_schedule(url)``
    picks the one for a server), or after the server's ``Retry-After`` when that is longer. ``fetch``
    asks the server to hold each poll ``schedule.hold`` seconds; after a poll held that long, the next
    one follows without a pause (unless the server asks for one with ``Retry-After``).
    ``on_update(job, elapsed_seconds)`` is called after every poll. Raises :class:`WaitTimeoutError`
    after ``max_wait`` seconds and :class:`WaitInterruptedError` on Ctrl-C; neither touches the job.
    """
    start = clock()
    try:
        for scheduled in schedule.intervals():
            asked = clock()
            job = fetch()
            elapsed = clock() - start
            on_update(job, elapsed)
            if job.is_final:
                return job
            held = schedule.hold > 0 and clock() - asked >= schedule.hold  # the server held it: that was the pause
            interval = max(0.0 if held else scheduled, job.retry_after or 0.0)  # never sooner than the server asks
            if elapsed + interval > max_wait:
                raise WaitTimeoutError(
                    f"job {job_id} is still {job.status} after {elapsed:.0f} s of waiting",
                    hint=f"It goes on: check it later with %sqlflow_status {job_id}, "
                    "or wait longer with SQLFlowMagics.max_wait",
                )
            if interval > 0:
                sleep(interval)
    except KeyboardInterrupt:
        raise WaitInterruptedError(
            f"stopped waiting for job {job_id}; the job itself goes on",
            hint=f"Resume with %sqlflow_status {job_id} --wait",
        ) from None
    raise AssertionError("unreachable")
