"""``%sqlflow_lineage --format openlineage``: a job's lineage as OpenLineage events, kept, written, sent.

What the line options do (``docs/magics.md``, "OpenLineage events"):

* ``--format openlineage`` fetches the job's lineage (``fdd`` and ``fdr``, with the intermediates that say
  which statement a flow belongs to), builds the events with ``sqlflow_magic.openlineage.build_events``
  and keeps them in the variable (``--var``, default ``sqlflow_lineage``) as a JSON list, the way the
  client's serializer writes them; ``--out FILE`` writes that list;
* ``--events run`` (the default) gives ``RunEvent``s, ``--events job`` static ``JobEvent``s;
* ``--emit`` then sends them through ``openlineage-python``'s configured transport
  (:mod:`sqlflow_magic.openlineage.emit`); the cell fails, in one line saying which events were sent,
  when one is refused or the transport is down. The events are kept in the variable all the same;
* ``--authority HOST:PORT`` and ``--job-namespace NAME`` fill what the lineage does not know
  (``NamingSettings``): the data source's host (or account) and the OpenLineage jobs' namespace.

The ``sql`` job facet holds a statement's text when this kernel submitted its job's SQL (the cells and
files ``%%sqlflow_submit`` sent, remembered per server and job) and the job has one file: a statement's
position in the lineage names no file (``hashCode`` ``"0"``), so with several files it is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..client.errors import ConfigurationError, InputError
from ..client.models import LineageOptions

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient
    from ..openlineage.emit import EmitReport

#: The export the events are built from: value and row flows, with the result sets between statements
#: (they carry the process a flow belongs to).
EXPORT_OPTIONS = LineageOptions(relation_types=("fdd", "fdr"), show_result_sets=True)
#: How SQLFlow writes a job's ``createTime`` (the local server and SQLFlow 5.x/6.x alike).
CREATE_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True)
class Exported:
    """What ``--format openlineage`` made: the events (the client's models) and as JSON, and their kind."""

    events: list[Any] = field(repr=False)
    value: list[dict[str, Any]]
    text: str
    kind: str


#: The options of a lineage export that an OpenLineage export does not take: it holds the whole job.
NOT_WITH_OPENLINEAGE = ("table_level", "relations", "show_result_sets", "show_functions", "database", "schema",
                        "table", "column")
ONLY_WITH_OPENLINEAGE = ("events", "emit", "authority", "job_namespace")


def check_openlineage_options(args: Any) -> None:
    """A ``UsageError`` for options that do not go with ``--format openlineage``, or need it."""
    if args.format != "openlineage":
        given = [_option(name) for name in ONLY_WITH_OPENLINEAGE if getattr(args, name)]
        raise UsageError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --format openlineage")
    given = [_option(name) for name in NOT_WITH_OPENLINEAGE if getattr(args, name)]
    if given:
        raise UsageError(f"--format openlineage exports the whole job's column lineage: leave out {', '.join(given)}")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def export_openlineage(client: SQLFlowClient, job_id: str, *, kind: str, files: Mapping[str, str],
                       authority: str | None = None, job_namespace: str | None = None) -> Exported:
    """The events of ``job_id``'s lineage (``files``: the job's SQL this kernel knows, name -> text).
    One-line errors: a job without lineage, the ``openlineage`` extra missing."""
    from ..openlineage import NamingSettings, OpenLineageExportError, OpenLineageMissingError

    job = client.job_summary(job_id)
    lineage = client.export_lineage_json(job_id, EXPORT_OPTIONS)
    naming = NamingSettings(authority=authority or "", job_namespace=job_namespace or "sqlflow")
    problem: str = ""
    try:
        events = _build(lineage, job_id, job.job_name, job.db_vendor, kind, statement_texts(lineage, files),
                        naming, _create_time(job.create_time))
    except OpenLineageMissingError:
        problem = "missing"
    except (OpenLineageExportError, ValueError) as exc:
        problem = " ".join(str(exc).split())
    if problem == "missing":  # raised outside the handlers: one line, nothing chained
        raise ConfigurationError("OpenLineage events need the openlineage-python client",
                                 hint="Install the extra: pip install 'sqlflow-magic[openlineage]'")
    if problem:
        raise InputError(problem, hint="")
    from ..openlineage import events_to_json

    value = events_to_json(events)
    return Exported(events, value, json.dumps(value, indent=2, ensure_ascii=False), kind)


def emit_exported(exported: Exported) -> EmitReport:
    """Send the events through the OpenLineage client's configured transport (one-line errors)."""
    from ..openlineage.emit import emit_events

    return emit_events(exported.events)


def _build(lineage: Any, job_id: str, job_name: str, db_vendor: str, kind: str, statements: dict[str, str],
           naming: Any, event_time: datetime | None) -> list[Any]:
    from ..openlineage import build_events

    return build_events(lineage, job_id=job_id, job_name=job_name or None, db_vendor=db_vendor,
                        kind="job" if kind == "job" else "run", statements=statements or None, naming=naming,
                        event_time=event_time)


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


def _create_time(text: str) -> datetime | None:
    for pattern in CREATE_TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None
