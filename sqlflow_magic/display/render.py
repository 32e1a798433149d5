"""Static HTML and plain-text forms of what the magics show: they work in nbconvert, GitHub and a terminal.

Every string that came from a server or a user is HTML-escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ..client.models import Job
from ..client.secrets import mask_identifier
from ..protocol import JobStatus
from ..vendors import VENDORS

STATUS_COLOURS: dict[str, str] = {
    JobStatus.CREATE: "#6b7280", JobStatus.PROCESS: "#2563eb", JobStatus.SUCCESS: "#15803d",
    JobStatus.PARTIAL_SUCCESS: "#b45309", JobStatus.FAIL: "#b91c1c", JobStatus.DELETE: "#6b7280",
}


@dataclass(frozen=True)
class ServerInfo:
    """Which server a job lives on, as shown to the user (never with credentials in it)."""

    url: str
    embedded: bool

    @property
    def label(self) -> str:
        return f"embedded local server ({self.url})" if self.embedded else self.url


def job_rows(job: Job, server: ServerInfo) -> list[tuple[str, str]]:
    """The (label, value) pairs of a job panel, values as plain text."""
    vendor = f"{job.db_vendor} ({VENDORS[job.db_vendor]})" if job.db_vendor in VENDORS else job.db_vendor
    rows = [
        ("Job id", job.job_id),
        ("Name", job.job_name or "(none)"),
        ("Status", job.status or "(unknown)"),
        ("Vendor", vendor),
        ("Files", ", ".join(job.file_names) or "(none)"),
        ("Created", job.create_time),
        ("User", mask_identifier(job.user_id)),
        ("Server", server.label),
    ]
    if job.schedulable:
        cron = job.other.get("cronExpression")
        rows.append(("Schedule", f"cron {cron}" if cron else "yes"))
    if job.on_top:
        rows.append(("Pinned", "on top of the job list"))
    if job.error_message:
        rows.append(("Error", job.error_message))
    problems = problems_of_their_own(job)
    if problems:
        rows.append(("Problems", "; ".join(problems)))
    return rows


def problems_of_their_own(job: Job) -> list[str]:
    """The job's problems when they need a row of their own: none when its Error row says them all."""
    problems = job_problems(job)
    return [] if all(problem in (job.error_message or "") for problem in problems) else problems


def job_problems(job: Job, limit: int = 5) -> list[str]:
    """The job's analysis errors (partial success or failure) as short lines, at most ``limit`` and a count."""
    found = job.other.get("errors")
    if not isinstance(found, list):
        return []
    lines = []
    for error in found[:limit]:
        if not isinstance(error, dict):
            continue
        where = ""
        spots = error.get("coordinates") or []
        if spots and isinstance(spots[0], dict):
            where = f"line {spots[0].get('x')}, column {spots[0].get('y')}: "
        message = str(error.get("errorMessage") or error.get("message") or error)
        name = str(error.get("fileName") or error.get("file") or "")
        prefix = f"{name} " if name and not message.startswith(name) else ""
        lines.append(f"{prefix}{where}{message}")
    if len(found) > limit:
        lines.append(f"and {len(found) - limit} more")
    return lines


def status_badge_html(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#374151")
    return (f'<span style="background:{colour};color:white;border-radius:3px;padding:0 6px">'
            f"{escape(status or 'unknown')}</span>")


def job_html(job: Job, server: ServerInfo, note: str = "") -> str:
    """The job as an HTML table; the job id can be selected with one click."""
    cells = []
    for label, value in job_rows(job, server):
        if label == "Job id":
            shown = f'<code class="sqlflow-job-id" style="user-select:all">{escape(value)}</code>'
        elif label == "Status":
            shown = status_badge_html(value)
        elif label == "Server" and server.embedded:
            shown = f"<b>embedded local server</b> ({escape(server.url)})"
        else:
            shown = escape(value)
        cells.append(f'<tr><th style="text-align:left;padding-right:1em">{escape(label)}</th>'
                     f'<td style="text-align:left">{shown}</td></tr>')
    note_html = f'<div class="sqlflow-note">{escape(note)}</div>' if note else ""
    return (f'<div class="sqlflow-job"><b>SQLFlow job</b><table>{"".join(cells)}</table>{note_html}</div>')


def job_text(job: Job, server: ServerInfo, note: str = "") -> str:
    """The job as aligned plain text, for terminals and text-only viewers."""
    rows = job_rows(job, server)
    width = max(len(label) for label, _ in rows)
    lines = ["SQLFlow job"] + [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join([*lines, note] if note else lines)


def table_html(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th style="text-align:left">{escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="text-align:left">{escape(c)}</td>' for c in row) + "</tr>"
                   for row in rows)
    return f"<div><b>{escape(title)}</b><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def table_text(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns; the last one is not padded, so its width never shifts the others."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)][:-1]
    line = "  ".join([*(f"{{:<{w}}}" for w in widths), "{}"])
    return "\n".join([title, line.format(*header).rstrip()] + [line.format(*r).rstrip() for r in rows])


class Table:
    """A titled table that shows as HTML in notebooks and as text elsewhere."""

    def __init__(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.title, self.header, self.rows = title, list(header), [list(r) for r in rows]

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/plain": table_text(self.title, self.header, self.rows),
                "text/html": table_html(self.title, self.header, self.rows)}

    def __repr__(self) -> str:
        return table_text(self.title, self.header, self.rows)
