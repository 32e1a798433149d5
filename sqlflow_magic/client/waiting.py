"""Waiting for a SQLFlow job to finish: polling with growing intervals within a time limit.

The official sample clients poll in a tight loop and never stop on an error; this one sleeps
0.5 s, then longer (up to 5 s), stops at ``max_wait`` and lets every error through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import SQLFlowError
from .models import Job


class WaitTimeoutError(SQLFlowError):
    """The job did not reach a final status within the time limit. The job goes on."""


class WaitInterruptedError(SQLFlowError):
    """The user pressed Ctrl-C (interrupted the kernel) while waiting. The job goes on."""


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls: ``initial`` seconds, times ``factor`` each time, at most ``maximum``."""

    initial: float = 0.5
    maximum: float = 5.0
    factor: float = 1.6

    def intervals(self) -> Iterator[float]:
        interval = self.initial
        while True:
            yield interval
            interval = min(self.maximum, interval * self.factor)


def wait_for_job(
    job_id: str,
    fetch: Callable[[], Job],
    *,
    max_wait: float,
    on_update: Callable[[Job, float], None] = lambda job, elapsed: None,
    schedule: PollSchedule = PollSchedule(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Job:
    """Poll ``fetch`` (the summary of job ``job_id``) until its status is final; return that job.

    ``on_update(job, elapsed_seconds)`` is called after every poll. Raises :class:`WaitTimeoutError`
    after ``max_wait`` seconds and :class:`WaitInterruptedError` on Ctrl-C; neither touches the job.
    """
    start = clock()
    try:
        for interval in schedule.intervals():
            job = fetch()
            elapsed = clock() - start
            on_update(job, elapsed)
            if job.is_final:
                return job
            if elapsed + interval > max_wait:
                raise WaitTimeoutError(
                    f"job {job_id} is still {job.status} after {elapsed:.0f} s of waiting",
                    hint=f"It goes on: check it later with %sqlflow_status {job_id}, "
                    "or wait longer with SQLFlowMagics.max_wait",
                )
            sleep(interval)
    except KeyboardInterrupt:
        raise WaitInterruptedError(
            f"stopped waiting for job {job_id}; the job itself goes on",
            hint=f"Resume with %sqlflow_status {job_id} --wait",
        ) from None
    raise AssertionError("unreachable")
