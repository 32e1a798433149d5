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

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..client.models import LineageOptions
from .events import PRODUCER, build_events
from .ids import job_time
from .naming import NamingSettings
from .texts import statement_texts

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient

#: The export the events are built from: value and row flows, with the result sets between a statement's
#: sources and its target (they carry the process each flow belongs to).
EXPORT_OPTIONS = LineageOptions(relation_types=("fdd", "fdr"), show_result_sets=True)


def job_events(client: SQLFlowClient, job_id: str, *, kind: Literal["run", "job"] = "run",
               naming: NamingSettings | None = None, files: Mapping[str, str] | None = None,
               producer: str = PRODUCER) -> list[Any]:
    """The events of ``job_id`` (see the module's docstring; ``kind``, ``naming`` and ``producer`` are
    :func:`build_events`'). ``files``, the job's SQL files (name -> text) where you have them, gives each
    statement's ``sql`` facet when the job has one file (:func:`statement_texts`)."""
    job = client.job_summary(job_id)
    lineage = client.export_lineage_json(job_id, EXPORT_OPTIONS)
    return build_events(lineage, job_id=job_id, job_name=job.job_name or None, db_vendor=job.db_vendor, kind=kind,
                        statements=_statements(lineage, files), naming=naming, producer=producer,
                        event_time=_job_time(job.create_time))


def _statements(lineage: Any, files: Mapping[str, str] | None) -> dict[str, str] | None:
    """Each statement's text where it can be known: a statement's position in the lineage names no file
    (``hashCode`` ``"0"``), so only a job of one file has them."""
    if not files or len(files) != 1:
        return None
    return statement_texts(lineage, next(iter(files.values()))) or None


def _job_time(create_time: str) -> datetime | None:
    """The job's ``createTime`` as a time; None (the run ids then do not depend on it) when it is not one."""
    try:
        return job_time(create_time) if create_time.strip() else None
    except ValueError:
        return None
