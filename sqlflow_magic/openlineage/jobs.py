"""The OpenLineage events of a job on any SQLFlow server, fetched with the plain client: for scripts and
schedulers as for ``%sqlflow_lineage --format openlineage``::

    from sqlflow_magic.client import SQLFlowClient
    from sqlflow_magic.openlineage import emit_events, job_events

    with SQLFlowClient(settings) as client:
        print(emit_events(job_events(client, job_id)))   # 4 of 4 OpenLineage events sent to http://...

:func:`job_events` asks for the job (its name, dbvendor and ``createTime``) and for its lineage as
:data:`EXPORT_OPTIONS` says, then builds the events (``build_events``): the job's time makes the run ids
and ``eventTime`` the same at every export, so sending a job again duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..client.models import LineageOptions
from .events import PRODUCER, build_events
from .naming import NamingSettings

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient

#: The export the events are built from: value and row flows, with the result sets between a statement's
#: sources and its target (they carry the process each flow belongs to).
EXPORT_OPTIONS = LineageOptions(relation_types=("fdd", "fdr"), show_result_sets=True)
#: How SQLFlow writes a job's ``createTime`` (the local server's and SQLFlow's answers).
CREATE_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f")


def job_events(client: SQLFlowClient, job_id: str, *, kind: Literal["run", "job"] = "run",
               naming: NamingSettings | None = None, files: Mapping[str, str] | None = None,
               producer: str = PRODUCER) -> list[Any]:
    """The events of ``job_id`` (see the module's docstring; ``kind``, ``naming`` and ``producer`` are
    :func:`build_events`'). ``files``, the job's SQL files (name -> text) where you have them, gives each
    statement's ``sql`` facet (:func:`statement_texts`)."""
    job = client.job_summary(job_id)
    lineage = client.export_lineage_json(job_id, EXPORT_OPTIONS)
    return build_events(lineage, job_id=job_id, job_name=job.job_name or None, db_vendor=job.db_vendor, kind=kind,
                        statements=statement_texts(lineage, files or {}) or None, naming=naming, producer=producer,
                        event_time=create_time(job.create_time))


def statement_texts(lineage: Any, files: Mapping[str, str]) -> dict[str, str]:
    """Each process's statement text, by process id: the span its ``coordinates`` give in the job's one
    file (none when the job has no known file or several: the positions do not name the file)."""
    if len(files) != 1:
        return {}
    lines = next(iter(files.values())).splitlines(keepends=True)
    texts: dict[str, str] = {}
    for process in _processes(lineage):
        text = _span_text(lines, process.get("coordinates"))
        if text and process.get("id") is not None:
            texts[str(process["id"])] = text
    return texts


def _span_text(lines: list[str], coordinates: Any) -> str | None:
    """The text from the first coordinate to the second (1-based line and column, the end exclusive)."""
    try:
        (start_line, start_col), (end_line, end_col) = ((int(c["x"]), int(c["y"])) for c in coordinates[:2])
    except (TypeError, KeyError, ValueError, IndexError):
        return None
    if not 1 <= start_line <= end_line <= len(lines):
        return None
    if start_line == end_line:
        text = lines[start_line - 1][start_col - 1:end_col - 1]
    else:
        text = "".join([lines[start_line - 1][start_col - 1:], *lines[start_line:end_line - 1],
                        lines[end_line - 1][:end_col - 1]])
    return text.strip() or None


def _processes(value: Any) -> Iterator[dict[str, Any]]:
    """Every ``process`` object of an answer, whatever its generation (flat or nested ``dbobjs``)."""
    if isinstance(value, dict):
        if value.get("type") == "process":
            yield value
        for item in value.values():
            yield from _processes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _processes(item)


def create_time(text: str) -> datetime | None:
    """A job's ``createTime`` as a time (taken as UTC), or None when it is not one."""
    for pattern in CREATE_TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None
