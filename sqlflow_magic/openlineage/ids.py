"""Run ids and event times: the same SQLFlow job gives the same ids every time it is exported.

A catalogue keeps one entry per job (namespace and name), per dataset (namespace and name) and per run
(``runId``); an event for a run it already has updates that run (Marquez upserts runs by id and derives
dataset and job versions from the run and its datasets; DataHub keys a run's ``DataProcessInstance`` on
the run id and every entity on its URN). So exporting a job twice duplicates nothing when both exports
carry the same job names, dataset names and run ids, which this module makes sure of:

- the **run id** of a statement is derived from the SQLFlow job id and the statement's key (its process
  id, or the target it writes when the answer names no process); the SQLFlow job's own run, the parent of
  the statements' runs, from the job id alone;
- with the job's time known (``event_time``: the SQLFlow job's ``createTime``), the id is a UUIDv7 (the
  spec's recommendation: ordered by time) made by the client's own ``generate_static_uuid`` from that
  time and the key, and every event's ``eventTime`` is that time, so even a log of raw events holds
  equal events;
- without it, the id is a UUIDv5 of the same key (still the same at every export) and ``eventTime`` is
  the time of the export: the catalogue's entries are not duplicated, though a raw event log (Marquez's
  ``lineage_events``) records each export.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

#: The UUIDv5 namespace of sqlflow-magic's run ids (a fixed random UUID; changing it changes every id).
RUN_ID_NAMESPACE = uuid.UUID("5b0e0a4e-7f0c-4d0f-9a57-1c3c2f5e8d21")


def run_id(job_id: str, statement_key: str | None, event_time: datetime | None) -> str:
    """The run id of one statement of a SQLFlow job (``statement_key`` None: the job's own run)."""
    key = f"sqlflow-job:{job_id}" if statement_key is None else f"sqlflow-job:{job_id}/statement:{statement_key}"
    if event_time is None:
        return str(uuid.uuid5(RUN_ID_NAMESPACE, key))
    from openlineage.client.uuid import generate_static_uuid

    return str(generate_static_uuid(as_utc(event_time), key.encode("utf-8")))


def job_time(value: datetime | str | None) -> datetime | None:
    """The SQLFlow job's time: a ``datetime``, or SQLFlow's ``createTime`` text (``2024-03-11 09:42:17``)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"event_time {value!r} is not a time: give a datetime or SQLFlow's createTime, "
                         "e.g. '2024-03-11 09:42:17'") from None


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken as UTC (SQLFlow's ``createTime`` carries no zone)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def event_time_text(event_time: datetime | None) -> str:
    """The ``eventTime`` of every event of one export: the job's time, else now (ISO 8601, UTC)."""
    moment = as_utc(event_time) if event_time is not None else datetime.now(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
