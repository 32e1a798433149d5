"""The job export endpoints: the lineage of a finished job as JSON, CSV or GraphML.

The worker stored each job's complete lineage when the job finished, with the exports asked for most
(``analysis.PRERENDERED``). Any other export is a view of it (the request's display settings, see
:mod:`sqlflow_magic.server.exports.views`), rendered on its first request in an analysis process (a large
one takes seconds of CPU, which the server's own requests must not wait for) and stored beside it for
the next ones, as long as the job is not analysed again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sqlflow_magic.protocol import LINEAGE_STATUSES, JobStatus
from sqlflow_magic.server.context import ServerContext
from sqlflow_magic.server.exports import ViewOptions, view_kind
from sqlflow_magic.server.params import RequestParams, parse_delimiter, parse_job_id, parse_view
from sqlflow_magic.server.records import StoredJob
from sqlflow_magic.server.responses import (
    BAD_REQUEST,
    CONFLICT,
    NOT_FOUND,
    Rejection,
)
from sqlflow_magic.server.routes_jobs import authenticated_params, owned, owned_job
from sqlflow_magic.server.store import JobStore

T = TypeVar("T")


async def _finished_job(request: Request) -> tuple[ServerContext, RequestParams, StoredJob]:
    """The caller's job named by ``jobId`` (empty: the latest one), once its lineage is ready."""
    context, params, job, _body = await _finished_export(request, None)
    return context, params, job


async def _finished_export(
    request: Request, kind_of: Callable[[RequestParams], str] | None
) -> tuple[ServerContext, RequestParams, StoredJob, bytes | None]:
    """:func:`_finished_job`, and the export of kind ``kind_of(params)`` if it is stored, read with the job in
    one trip to a thread (the picture that ``%%sqlflow_submit --wait`` fetches is stored with the job)."""
    context, params, user_id = await authenticated_params(request)
    job_id = params.get("jobId")
    body = None
    if job_id is None:
        jobs = await run_in_threadpool(context.store.user_jobs, user_id)
        if not jobs:
            raise Rejection(NOT_FOUND, f"user {user_id!r} has no job: submit one first")
        job = max(jobs, key=lambda candidate: candidate.create_time)  # ties: the store lists newer first
    elif (kind := _kind_or_none(kind_of, params)) is None:
        job = await owned_job(context.store, user_id, job_id)
    else:
        found, body = await run_in_threadpool(_job_and_result, context.store, parse_job_id(job_id), kind)
        job = owned(found, user_id, job_id)
    if job.status == JobStatus.FAIL:
        reason = job.error_message or "no reason given"
        raise Rejection(BAD_REQUEST, f"job {job.job_id} failed, so it has no lineage: {reason}")
    if job.status not in LINEAGE_STATUSES:
        raise Rejection(CONFLICT,
                        f"job {job.job_id} is still {job.status}: wait until it is success or partial_success")
    return context, params, job, body


def _kind_or_none(kind_of: Callable[[RequestParams], str] | None, params: RequestParams) -> str | None:
    """The stored kind asked for, or None when there is none or the request's view is refused (said later)."""
    try:
        return None if kind_of is None else kind_of(params)
    except Rejection:
        return None


def _job_and_result(store: JobStore, job_id: str, kind: str) -> tuple[StoredJob | None, bytes | None]:
    job = store.get_job(job_id)
    return job, None if job is None or job.status not in LINEAGE_STATUSES else store.get_result(job_id, kind)


async def _lineage(context: ServerContext, job: StoredJob, table_level: bool) -> bytes:
    """The complete lineage of a finished job; a job finished without one is analysed again."""
    body = await run_in_threadpool(lambda: context.store.job_lineage(job.job_id, table_level=table_level))
    if body is not None:
        return body
    requeued = await run_in_threadpool(
        lambda: context.store.set_status(
            job.job_id, JobStatus.CREATE, only_if_status=job.status, only_if_revision=job.revision
        )
    )
    if requeued:
        context.worker.notify()
    raise Rejection(
        CONFLICT,
        f"job {job.job_id} has no stored lineage (analysed by an older version?) and is being analysed "
        "again: wait until it is success or partial_success",
    )


async def _view(context: ServerContext, job: StoredJob, options: ViewOptions, form: str, delimiter: str = ",") -> bytes:
    """The export ``form`` of the view ``options`` of a job's lineage: stored, or rendered and then stored."""
    kind = view_kind(form, options, delimiter)
    body = await run_in_threadpool(context.store.get_result, job.job_id, kind)
    if body is not None:
        return body
    lineage = await _lineage(context, job, options.table_level)
    body = await context.worker.render(lineage, options, form, delimiter)
    session = job.session_id or ""  # a job without a session id was not analysed by this version: nothing stored
    await run_in_threadpool(lambda: context.store.put_result(job.job_id, kind, body, only_if_session=session))
    return body


def _attachment(job: StoredJob, extension: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{job.job_id}.{extension}"'}


async def export_lineage_as_json(request: Request) -> Response:
    """``exportLineageAsJson`` / ``exportFullLineageAsJson``: the lineage JSON, ``data.graph`` drawn."""
    context, params, job, body = await _finished_export(request, lambda params: view_kind("json", parse_view(params)))
    if body is None:
        body = await _view(context, job, parse_view(params), "json")
    return Response(body, media_type="application/json")


def _csv_export(form: str) -> Callable[[Request], Any]:
    async def export(request: Request) -> Response:
        context, params, job = await _finished_job(request)
        body = await _view(context, job, parse_view(params), form, parse_delimiter(params))
        return Response(body, media_type="text/csv", headers=_attachment(job, "csv"))

    export.__doc__ = ("``exportLineageAsCsv``: rows between tables, views and paths only" if form == "csv" else
                      "``exportFullLineageAsCsv``: one row per relationship source") + "; ``delimiter`` (``,``)."
    return export


async def export_lineage_as_graphml(request: Request) -> Response:
    """``exportLineageAsGraphml``: GraphML for yEd and other graph tools (``tableToTable``: tables only)."""
    context, params, job = await _finished_job(request)
    body = await _view(context, job, parse_view(params), "graphml")
    return Response(body, media_type="application/xml", headers=_attachment(job, "graphml"))


def lineage_routes() -> list[BaseRoute]:
    """The routes of this module, relative to the API prefix."""
    endpoints = {
        "/sqlflow/job/exportLineageAsJson": export_lineage_as_json,
        "/sqlflow/job/exportFullLineageAsJson": export_lineage_as_json,
        "/sqlflow/job/exportLineageAsCsv": _csv_export("csv"),
        "/sqlflow/job/exportFullLineageAsCsv": _csv_export("full-csv"),
        "/sqlflow/job/exportLineageAsGraphml": export_lineage_as_graphml,
    }
    return [Route(path, endpoint, methods=["POST"]) for path, endpoint in endpoints.items()]
