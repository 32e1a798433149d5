"""Following a job: progress in its panel (or on one line of a terminal), then the final panel and outcome."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ..client.errors import JobFailedError, JobPartiallyAnalysedError
from ..client.models import PICTURE, Job
from ..client.waiting import WaitInterruptedError, WaitTimeoutError, held_within, poll_schedule, wait_for_job
from ..display.panel import JobPanel
from ..display.render import ServerInfo, problems_of_their_own
from ..protocol import JobStatus

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient


def new_panel(job: Job, client: SQLFlowClient, server_info: ServerInfo, *, live: bool = False) -> JobPanel:
    """A panel whose Refresh and lineage picture use ``client``, and which shows nothing ``client`` would not
    (its scrubber)."""
    return JobPanel(job, server_info, client.job_summary,
                    fetch_lineage=lambda job_id: client.export_lineage_json(job_id, PICTURE), live=live,
                    scrub=client.scrub)


def follow(panel: JobPanel, client: SQLFlowClient, max_wait: float, *, out: TextIO | None = None,
           sleep: Callable[[float], None] = time.sleep) -> Job:
    """Poll the job until it is final, showing its status and the elapsed time as it goes: in the live
    panel, or (no widget) on one line of ``out`` (stderr, as progress bars do) that each poll rewrites.
    Then show the panel.

    The polls are those for the client's server (``client/waiting.py``): for a server on this machine,
    held by the server until the job is final (up to 1 s), with pauses from 20 ms when it does not hold
    them; for any other, pauses from 0.5 s; ``sleep`` makes each pause."""
    line = _ProgressLine(out or sys.stderr) if not panel.live else None

    def show_progress(job: Job, elapsed: float) -> None:
        note = "" if job.is_final else f"{job.status}, waiting for {elapsed:.0f} s"
        if line is None:
            panel.update(job, note=note)
        else:
            panel.job = job
            line.write(f"SQLFlow job {job.job_id}: {note or job.status}")

    settings = client.settings
    schedule = held_within(poll_schedule(settings.base_url, embedded=settings.is_embedded),
                           settings.read_timeout, settings.request_deadline, max_wait)
    try:
        job = wait_for_job(panel.job.job_id, lambda: client.job_summary(panel.job.job_id, hold=schedule.hold),
                           max_wait=max_wait, on_update=show_progress, schedule=schedule, sleep=sleep)
    except (WaitTimeoutError, WaitInterruptedError) as exc:
        if line is not None:
            line.close()
        panel.set_note(str(exc))
        panel.finish()
        raise
    if line is not None:
        line.close()
    panel.update(job, note=_final_note(job))
    panel.finish()
    return job


def check_outcome(job: Job, *, strict: bool = False) -> None:
    """Fail the cell when a followed job failed (or, ``strict``, when some of its SQL was not analysed)."""
    if job.status == JobStatus.FAIL:
        raise JobFailedError(f"job {job.job_id} failed: {job.error_message or 'SQLFlow gave no reason'}")
    if strict and job.status == JobStatus.PARTIAL_SUCCESS:
        problems = len(job.errors) or "some"
        raise JobPartiallyAnalysedError(f"job {job.job_id} is a partial success: {problems} statement(s) could "
                                        f"not be analysed ({job.error_message or 'see Problems in the panel'})")


class _ProgressLine:
    """One line of a terminal, rewritten in place (``\\r``) and cleared at the end."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.width = 0

    def write(self, text: str) -> None:
        self.out.write("\r" + text.ljust(self.width))
        self.out.flush()
        self.width = max(self.width, len(text))

    def close(self) -> None:
        if self.width:
            self.out.write("\r" + " " * self.width + "\r")
            self.out.flush()


def _final_note(job: Job) -> str:
    took = f" in {job.execute_time}" if job.execute_time else ""
    if job.status == JobStatus.SUCCESS:
        return f"Finished{took}."
    if job.status == JobStatus.PARTIAL_SUCCESS:
        where = "Problems" if problems_of_their_own(job) else "Error"
        return f"Finished{took}, but some statements could not be analysed (see {where})."
    if job.status == JobStatus.FAIL:
        return "The job failed: see Error."
    return ""
