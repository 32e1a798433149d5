"""Following a job in its panel: progress in place, then the final status and the lineage picture."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .display.panel import JobPanel
from .models import PICTURE, Job
from .waiting import WaitInterruptedError, WaitTimeoutError, wait_for_job

if TYPE_CHECKING:
    from .client import SQLFlowClient


def new_panel(job: Job, client: SQLFlowClient, server_info: object, widget: object = None) -> JobPanel:
    """A panel whose Refresh and lineage picture use ``client`` (``widget``: see ``widget_ahead``)."""
    return JobPanel(job, server_info, client.job_summary,  # type: ignore[arg-type]
                    fetch_lineage=lambda job_id: client.export_lineage_json(job_id, PICTURE), widget=widget)


def follow(panel: JobPanel, client: SQLFlowClient, max_wait: float) -> Job:
    """Poll the job until it is final, showing status and elapsed time in the panel as it goes."""

    def show_progress(job: Job, elapsed: float) -> None:
        panel.update(job, note="" if job.is_final else f"{job.status}, waiting for {elapsed:.0f} s")

    try:
        job = wait_for_job(panel.job.job_id, lambda: client.job_summary(panel.job.job_id),
                           max_wait=max_wait, on_update=show_progress)
    except (WaitTimeoutError, WaitInterruptedError) as exc:
        panel.set_note(str(exc))
        panel.finish()
        raise
    panel.update(job, note=_final_note(job))
    panel.finish()
    return job


def _final_note(job: Job) -> str:
    took = f" in {job.execute_time}" if job.execute_time else ""
    if job.status == "success":
        return f"Finished{took}."
    if job.status == "partial_success":
        return f"Finished{took}, but some statements could not be analysed (see Problems)."
    if job.status == "fail":
        return "The job failed: see Error."
    return ""
