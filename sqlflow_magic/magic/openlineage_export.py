"""``%sqlflow_lineage --format openlineage``: a job's lineage as OpenLineage events, kept, written, sent.

What the line options do (``docs/magics.md``, "OpenLineage events"):

* ``--format openlineage`` fetches the job's lineage (``fdd`` and ``fdr``, with the intermediates that say
  which statement a flow belongs to), builds the events (``sqlflow_magic.openlineage.job_events``)
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..client.errors import ConfigurationError, InputError

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient
    from ..openlineage.emit import EmitReport

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
    if args.authority and "@" in args.authority:  # the value is not repeated: it may hold a password
        raise UsageError("--authority takes the database's host:port (or account) only, without user:password@")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def export_openlineage(client: SQLFlowClient, job_id: str, *, kind: str, files: Mapping[str, str],
                       authority: str | None = None, job_namespace: str | None = None) -> Exported:
    """The events of ``job_id``'s lineage (``files``: the job's SQL this kernel knows, name -> text).
    One-line errors: a job without lineage, the ``openlineage`` extra missing."""
    from ..openlineage import NamingSettings, OpenLineageExportError, OpenLineageMissingError, events_to_json
    from ..openlineage.jobs import job_events

    naming = NamingSettings(authority=authority or "", job_namespace=job_namespace or "sqlflow")
    problem: str = ""
    try:
        events = job_events(client, job_id, kind="job" if kind == "job" else "run", naming=naming, files=files)
    except OpenLineageMissingError:
        problem = "missing"
    except OpenLineageExportError as exc:
        problem = " ".join(str(exc).split())
    if problem == "missing":  # raised outside the handlers: one line, nothing chained
        raise ConfigurationError("OpenLineage events need the openlineage-python client",
                                 hint="Install the extra: pip install 'sqlflow-magic[openlineage]'")
    if problem:
        raise InputError(problem, hint="")
    value = events_to_json(events)
    return Exported(events, value, json.dumps(value, indent=2, ensure_ascii=False), kind)


def emit_exported(exported: Exported) -> EmitReport:
    """Send the events through the OpenLineage client's configured transport (one-line errors)."""
    from ..openlineage.emit import emit_events

    return emit_events(exported.events)
