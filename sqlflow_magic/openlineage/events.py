"""SQLFlow lineage as OpenLineage events, built with the official ``openlineage-python`` models.

>>> from sqlflow_magic.openlineage import build_events, events_to_json, NamingSettings
>>> events = build_events(answer, job_id=job.job_id, job_name=job.job_name, db_vendor="dbvpostgresql",
...                       naming=NamingSettings(authority="db.example.com:5432"))
>>> events_to_json(events)                    # what a transport sends, through the client's Serde

``answer`` is SQLFlow's lineage JSON of any generation (what ``SQLFlowClient.export_lineage_json``
returns, a dict or JSON text). The events, in order (docs/openlineage.md has the full mapping):

1. one event for the SQLFlow job itself: job ``{job_name or job_id}``, ``jobType`` ``JOB``, no datasets;
2. one event per statement (SQLFlow process) with a data flow, in the answer's order: job
   ``{parent}.{statement}`` (``query_insert_1``: the process name in lower case, or the written table's
   name where the answer names no process), ``jobType`` ``QUERY``, the ``sql`` facet where
   ``statements`` gives the text, a ``parent`` run facet pointing to the job's run (run events only),
   the tables it reads as inputs and those it writes as outputs (with ``schema`` and
   ``columnLineage``). A plain ``SELECT`` has inputs only: its result set is not a dataset.

``kind="run"`` gives ``RunEvent``s (``COMPLETE``: the lineage is of a finished analysis), which every
consumer accepts; ``kind="job"`` gives static ``JobEvent``s (no run, no parent facet). Run ids and
``eventTime`` follow :mod:`.ids`: the same job gives the same ids at every export, so a catalogue does
not duplicate it. ``statements`` maps a statement to its text; a key is the process id, the process
name (``Query Insert-1``) or the statement's part of the job name (``query_insert_1``); credentials
written in it (``password=...``, ``secret_access_key=...``, ``user:pw@host``) are masked
(:mod:`sqlflow_magic.client.scrubbing`'s patterns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .._version import __version__
from ..client.scrubbing import Scrubber
from ..lineage_json.graph import OK_CODES, is_pseudo_column
from ..lineage_json.shapes import RawObject, read_payload
from ..vendors import UnknownVendorError, resolve_vendor
from . import facets
from .errors import NoLineageError, OpenLineageMissingError
from .flows import ColumnFlow, Statement, is_store, statements_of
from .ids import event_time_text, job_time, run_id
from .naming import NamingSettings, dataset_name, dataset_namespace, path_dataset

if TYPE_CHECKING:
    from openlineage.client.event_v2 import JobEvent, RunEvent

#: The ``producer`` of every event and facet: this package's source at its version, as OpenLineage's own
#: integrations name themselves (the project's URL in ``pyproject.toml``).
PRODUCER = f"https://github.com/sqlflow-magic/sqlflow-magic/tree/{__version__}"
JOB_TYPE_OF_JOB = "JOB"
JOB_TYPE_OF_STATEMENT = "QUERY"


def build_events(
    lineage: Any,
    *,
    job_id: str,
    job_name: str | None,
    db_vendor: str,
    kind: Literal["run", "job"] = "run",
    statements: Mapping[str, str] | None = None,
    naming: NamingSettings | None = None,
    producer: str = PRODUCER,
    event_time: datetime | str | None = None,
) -> list[RunEvent | JobEvent]:
    """The OpenLineage events of one SQLFlow job's lineage (see the module's docstring).

    ``db_vendor`` picks the dataset naming scheme (:mod:`.naming`; an empty one: the answer's own
    ``dbvendor``); ``naming`` gives what the lineage does not know (the data source's host, names for
    ``DEFAULT`` levels, the job namespace); ``event_time`` is the SQLFlow job's time (a ``datetime`` or
    its ``createTime`` text; naive times are UTC): with it, run ids are time-ordered UUIDv7 and the
    events' ``eventTime`` is stable across exports. Raises :class:`NoLineageError` when the answer holds
    no data flow and :class:`OpenLineageMissingError` when ``openlineage-python`` is not installed.
    """
    if kind not in ("run", "job"):
        raise ValueError(f"kind must be 'run' or 'job', not {kind!r}")
    _require_client()
    payload = read_payload(lineage)
    if payload.code is not None and payload.code not in OK_CODES:
        raise NoLineageError(f"job {job_id} has no lineage to export: SQLFlow answered code {payload.code}"
                             f"{': ' + payload.error.splitlines()[0] if payload.error else ''}")
    if payload.mode.casefold() == "summary":
        raise NoLineageError(f"job {job_id} has no lineage to export: SQLFlow sent a summary of this large job; "
                             "export one table's lineage instead")
    objects, found = statements_of(payload)
    found = [statement for statement in found if statement.flows]
    if not found:
        raise NoLineageError(f"job {job_id} has no lineage to export: its answer holds no data flow "
                             "(submit SQL that reads or writes tables)")
    builder = _EventBuilder(
        objects=objects, db_vendor=_vendor(db_vendor or payload.dbvendor), naming=naming or NamingSettings(),
        producer=producer, event_time=job_time(event_time), parent_name=job_name or job_id, job_id=job_id,
    )
    names = _job_names(builder.parent_name, found)
    texts = statements or {}
    events: list[Any] = [builder.job_event(kind)]
    for statement, name in zip(found, names, strict=True):
        text = _text_of(texts, statement, name[len(builder.parent_name) + 1:])
        events.append(builder.statement_event(kind, statement, name, text))
    return events


def events_to_json(events: Sequence[Any]) -> list[dict[str, Any]]:
    """The events as JSON objects, through the client's own serializer (``Serde``): what a transport sends."""
    _require_client()
    from openlineage.client.serde import Serde

    return [Serde.to_dict(event) for event in events]


def _require_client() -> None:
    try:
        import openlineage.client.event_v2  # noqa: F401
    except ImportError:
        raise OpenLineageMissingError() from None


def _vendor(db_vendor: str) -> str:
    try:
        return resolve_vendor(db_vendor)
    except UnknownVendorError:  # an unknown vendor still gets the fallback scheme
        return db_vendor.strip().casefold() or "dbvansi"


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_") or "statement"


def _job_names(parent: str, statements: list[Statement]) -> list[str]:
    """``{parent}.{statement}``, unique: a repeated statement name gets ``_2``, ``_3``, ..."""
    names: list[str] = []
    for statement in statements:
        base = f"{parent}.{_slug(statement.name)}"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def _text_of(texts: Mapping[str, str], statement: Statement, short_name: str) -> str | None:
    for key in (statement.key, statement.name, short_name):
        if key in texts:
            return texts[key]
    return None


@dataclass
class _EventBuilder:
    objects: dict[str, RawObject]
    db_vendor: str
    naming: NamingSettings
    producer: str
    event_time: datetime | None
    parent_name: str
    job_id: str

    def __post_init__(self) -> None:
        self.time = event_time_text(self.event_time)
        self.names: dict[str, tuple[str, str]] = {}
        self.parent_run = run_id(self.job_id, None, self.event_time)

    def job_event(self, kind: str) -> Any:
        from openlineage.client.event_v2 import Job

        job = Job(namespace=self.naming.job_namespace, name=self.parent_name,
                  facets={"jobType": facets.job_type(JOB_TYPE_OF_JOB, self.producer)})
        return self._event(kind, job, self.parent_run, {}, [], [])

    def statement_event(self, kind: str, statement: Statement, name: str, text: str | None) -> Any:
        from openlineage.client.event_v2 import InputDataset, Job, OutputDataset

        job_facets: dict[str, Any] = {"jobType": facets.job_type(JOB_TYPE_OF_STATEMENT, self.producer)}
        if text:  # credentials written in the SQL (password=..., user:pw@host, ...) masked, as in every output
            job_facets["sql"] = facets.sql(Scrubber()(text), self.producer)
        job = Job(namespace=self.naming.job_namespace, name=name, facets=job_facets)
        inputs = [InputDataset(namespace=ns, name=ds, facets=self._schema(oid, statement))
                  for oid in statement.sources() if self._is_dataset(oid)
                  for ns, ds in [self.dataset(oid)]]
        outputs = [OutputDataset(namespace=ns, name=ds, facets={**self._schema(oid, statement),
                                                                **self._column_lineage(oid, statement)})
                   for oid in statement.targets() if self._is_dataset(oid)
                   for ns, ds in [self.dataset(oid)]]
        parent = {"parent": facets.parent(self.naming.job_namespace, self.parent_name, self.parent_run,
                                          self.producer)}
        return self._event(kind, job, run_id(self.job_id, statement.key, self.event_time), parent, inputs, outputs)

    def _event(self, kind: str, job: Any, run: str, run_facets: dict[str, Any], inputs: list[Any],
               outputs: list[Any]) -> Any:
        from openlineage.client.event_v2 import JobEvent, Run, RunEvent, RunState

        if kind == "job":
            return JobEvent(eventTime=self.time, producer=self.producer, job=job, inputs=inputs, outputs=outputs)
        return RunEvent(eventType=RunState.COMPLETE, eventTime=self.time, producer=self.producer,
                        run=Run(runId=run, facets=run_facets), job=job, inputs=inputs, outputs=outputs)

    def _is_dataset(self, object_id: str) -> bool:
        return is_store(self.objects[object_id])

    def dataset(self, object_id: str) -> tuple[str, str]:
        """``(namespace, name)`` of a store (each named once: a big job names its tables thousands of times)."""
        if object_id not in self.names:
            obj = self.objects[object_id]
            self.names[object_id] = path_dataset(obj.name) if obj.type.casefold() == "path" else (
                dataset_namespace(self.db_vendor, self.naming),
                dataset_name(self.db_vendor, self.naming, obj.database, obj.schema, obj.name))
        return self.names[object_id]

    def _schema(self, object_id: str, statement: Statement) -> dict[str, Any]:
        """The ``schema`` facet: the object's listed columns, then those the statement's flows name."""
        obj = self.objects[object_id]
        seen = [c.name for c in obj.columns if c.visible] + [
            node[1] for flow in statement.flows for node in (flow.source, flow.target) if node[0] == object_id]
        columns = [c for c in dict.fromkeys(seen) if c and c != "*" and not is_pseudo_column(c)]
        return {"schema": facets.schema(columns, self.producer)} if columns else {}

    def _column_lineage(self, object_id: str, statement: Statement) -> dict[str, Any]:
        fields: dict[str, dict[tuple[str, str, str], list[Any]]] = {}
        whole: dict[tuple[str, str, str], list[Any]] = {}
        for flow in statement.flows:
            if flow.target[0] != object_id or not self._is_dataset(flow.source[0]) or _pseudo(flow.source[1]):
                continue
            inputs = whole if _pseudo(flow.target[1]) else fields.setdefault(flow.target[1], {})
            transformations = inputs.setdefault((*self.dataset(flow.source[0]), flow.source[1]), [])
            transformation = _transformation(flow)
            if transformation not in transformations:
                transformations.append(transformation)
        if not fields and not whole:
            return {}
        return {"columnLineage": facets.column_lineage(
            {column: _inputs(inputs) for column, inputs in fields.items()}, _inputs(whole), self.producer)}


def _pseudo(column: str) -> bool:
    return not column or column == "*" or is_pseudo_column(column)


def _transformation(flow: ColumnFlow) -> Any:
    return facets.transformation(flow.kind, flow.value_kind, flow.clause)


def _inputs(inputs: dict[tuple[str, str, str], list[Any]]) -> list[Any]:
    return [facets.input_field(ns, name, column, transformations)
            for (ns, name, column), transformations in inputs.items()]
