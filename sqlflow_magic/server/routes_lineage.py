"""The lineage endpoints: exports of a finished job, and the synchronous ``/sqlflow/generation/sqlflow``.

Exports are served from the results the worker stored when the job finished; only a CSV with a
delimiter other than ``,`` is re-written on the fly.
"""

from __future__ import annotations

import csv
import io

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sqlflow_magic.server.analysis import AnalysisRequest, export_kind
from sqlflow_magic.server.params import RequestParams, authenticate, parse_bool, parse_vendor, read_params
from sqlflow_magic.server.pool import AnalysisCrashed, AnalysisTimeout, PoolClosedError
from sqlflow_magic.server.records import Job, SqlFile
from sqlflow_magic.server.responses import (
    BAD_REQUEST,
    CONFLICT,
    INTERNAL_ERROR,
    NOT_FOUND,
    TIME_LIMIT,
    UNAVAILABLE,
    ApiError,
)
from sqlflow_magic.server.routes_jobs import ServerContext, authenticated_params, context_of, owned_job

FINISHED = ("success", "partial_success")
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


async def _finished_job(request: Request) -> tuple[ServerContext, RequestParams, Job]:
    """The caller's job named by ``jobId`` (empty: the latest one), once its lineage is ready."""
    context, params, user_id = await authenticated_params(request)
    job_id = params.get("jobId")
    if job_id is None:
        jobs = await run_in_threadpool(context.store.user_jobs, user_id)
        if not jobs:
            raise ApiError(NOT_FOUND, f"user {user_id!r} has no job: submit one first")
        job = max(jobs, key=lambda candidate: candidate.create_time)  # ties: the store lists newer first
    else:
        job = await owned_job(context.store, user_id, job_id)
    if job.status == "fail":
        reason = job.error_message or "no reason given"
        raise ApiError(BAD_REQUEST, f"job {job.job_id} failed, so it has no lineage: {reason}")
    if job.status not in FINISHED:
        raise ApiError(CONFLICT, f"job {job.job_id} is still {job.status}: wait until it is success or partial_success")
    return context, params, job


async def _stored(context: ServerContext, job: Job, kind: str) -> bytes:
    """A stored export of a finished job; a job finished without one is analysed again."""
    body = await run_in_threadpool(context.store.get_result, job.job_id, kind)
    if body is not None:
        return body
    requeued = await run_in_threadpool(
        lambda: context.store.set_status(
            job.job_id, "create", only_if_status=job.status, only_if_revision=job.revision
        )
    )
    if requeued:
        context.worker.notify()
    raise ApiError(
        CONFLICT,
        f"job {job.job_id} has no stored lineage (analysed by an older version?) and is being analysed "
        "again: wait until it is success or partial_success",
    )


def _attachment(job: Job, extension: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{job.job_id}.{extension}"'}


async def export_lineage_as_json(request: Request) -> Response:
    """``exportLineageAsJson`` / ``exportFullLineageAsJson``: the lineage JSON (``tableToTable``: tables only)."""
    context, params, job = await _finished_job(request)
    table_level = parse_bool(params, "tableToTable", default=False)
    return Response(await _stored(context, job, export_kind("json", table_level)), media_type="application/json")


async def export_full_lineage_as_csv(request: Request) -> Response:
    """``exportFullLineageAsCsv``: one row per flow; ``delimiter`` (default ``,``), ``tableToTable``."""
    context, params, job = await _finished_job(request)
    table_level = parse_bool(params, "tableToTable", default=False)
    delimiter = parse_delimiter(params.fields.get("delimiter", ""))
    text = (await _stored(context, job, export_kind("csv", table_level))).decode("utf-8")
    if delimiter != ",":
        text = await run_in_threadpool(redelimit, text, delimiter)
    return Response(text, media_type="text/csv", headers=_attachment(job, "csv"))


async def export_lineage_as_graphml(request: Request) -> Response:
    """``exportLineageAsGraphml``: GraphML for yEd and other graph tools (``tableToTable``: tables only)."""
    context, params, job = await _finished_job(request)
    table_level = parse_bool(params, "tableToTable", default=False)
    body = await _stored(context, job, export_kind("graphml", table_level))
    return Response(body, media_type="application/xml", headers=_attachment(job, "graphml"))


def parse_delimiter(value: str) -> str:
    """The CSV delimiter: one character other than a quote or a line break; empty means ``,``.

    The raw field is used (not stripped), so a tab arrives as itself; ``\\t`` and ``tab`` also mean tab.
    """
    if value == "":
        return ","
    value = _DELIMITER_NAMES.get(value, value)
    if len(value) != 1 or value in "\"\r\n":
        raise ApiError(BAD_REQUEST, f"delimiter must be one character (not a quote or line break), not {value!r}")
    return value


def redelimit(text: str, delimiter: str) -> str:
    """Rewrite comma-separated ``text`` with another delimiter, quoting fields as needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(text, newline="")))
    return buffer.getvalue()


async def generate_sqlflow(request: Request) -> Response:
    """``/sqlflow/generation/sqlflow``: the lineage of ``sqltext`` (or ``sqlfile`` parts), synchronously."""
    context = context_of(request)
    params = await read_params(request, context.config, file_fields=("sqlfile", "sqlfiles"))
    authenticate(params, context.config, context.tokens)
    dbvendor = parse_vendor(params)
    files = list(params.files)
    sqltext = params.fields.get("sqltext", "")
    if sqltext.strip():
        files.insert(0, SqlFile("sqltext.sql", sqltext.encode("utf-8")))
    if not files:
        raise ApiError(BAD_REQUEST, "sqltext is required (or send the SQL as a multipart file part named sqlfile)")
    analysis = AnalysisRequest(
        files=tuple(files),
        dbvendor=dbvendor,
        default_database=params.get("defaultDatabase"),
        default_schema=params.get("defaultSchema"),
        time_limit_seconds=context.config.job_time_limit_seconds,
    )
    try:
        answer = await context.worker.generate(analysis)
    except AnalysisTimeout:
        limit = context.config.job_time_limit_seconds
        raise ApiError(TIME_LIMIT, f"time limit of {limit:g} s (job_time_limit_seconds) exceeded") from None
    except AnalysisCrashed as exc:
        raise ApiError(INTERNAL_ERROR, str(exc)) from None
    except PoolClosedError:
        raise ApiError(UNAVAILABLE, "the server is shutting down", http_status=503) from None
    return JSONResponse(answer)


def lineage_routes() -> list[BaseRoute]:
    """The routes of this module, relative to the API prefix."""
    endpoints = {
        "/sqlflow/job/exportLineageAsJson": export_lineage_as_json,
        "/sqlflow/job/exportFullLineageAsJson": export_lineage_as_json,
        "/sqlflow/job/exportFullLineageAsCsv": export_full_lineage_as_csv,
        "/sqlflow/job/exportLineageAsGraphml": export_lineage_as_graphml,
        "/sqlflow/generation/sqlflow": generate_sqlflow,
    }
    return [Route(path, endpoint, methods=["POST"]) for path, endpoint in endpoints.items()]
