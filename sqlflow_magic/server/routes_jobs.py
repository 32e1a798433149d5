"""The ``/sqlflow/job/...`` endpoints: submit, summarise and delete jobs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sqlflow_magic.protocol import ANALYSED_STATUSES, FINAL_STATUSES, JobStatus, cron_problem
from sqlflow_magic.server.budgets import SqlVolume, job_limit, measure_files, request_limit
from sqlflow_magic.server.context import ServerContext, context_of
from sqlflow_magic.server.fair_queue import QueueFullError
from sqlflow_magic.server.job_handoff import hand_over
from sqlflow_magic.server.job_settled import WAIT_FIELD, parse_wait
from sqlflow_magic.server.params import (
    FILES_FIELD,
    RequestParams,
    authenticate,
    parse_bool,
    parse_job_id,
    parse_port,
    parse_vendor,
    read_params,
    token_gate,
)
from sqlflow_magic.server.responses import (
    BAD_REQUEST,
    NOT_FOUND,
    TOO_MANY_QUEUED,
    Rejection,
    data_response,
    job_summary,
    submitted_job,
)
from sqlflow_magic.server.store import JobStore, StoredJob

# form field -> jobs column, for the optional text settings of a submit
_TEXT_OPTIONS = {
    "defaultDatabase": "default_database",
    "defaultSchema": "default_schema",
    "hostname": "hostname",
    "database": "database",
    "account": "account",
    "cronExpression": "cron_expression",
    "sqlsource": "sqlsource",
    "extra": "extra",
}
T = TypeVar("T")
_BOOL_OPTIONS = {"schedulable": "schedulable", "onTop": "on_top", "incremental": "incremental"}


async def authenticated_params(
    request: Request, file_fields: tuple[str, ...] = ()
) -> tuple[ServerContext, RequestParams, str]:
    """Read a request (with the file parts ``file_fields``) and check its caller; return the context, the
    parameters and the userId."""
    context = context_of(request)
    params = await read_params(request, context, file_fields, admit=token_gate(context.access))
    user_id = authenticate(params, context.access)
    return context, params, user_id


def _submit_options(params: RequestParams) -> dict[str, object]:
    """The settings this submit gives explicitly, keyed by jobs column. The password is dropped."""
    options: dict[str, object] = {
        column: params.get(name) for name, column in _TEXT_OPTIONS.items() if params.get(name) is not None
    }
    for name, column in _BOOL_OPTIONS.items():
        if params.get(name) is not None:
            options[column] = parse_bool(params, name, default=False)
    port = parse_port(params)
    if port is not None:
        options["port"] = port
    cron = options.get("cron_expression")
    problem = cron_problem(cron) if isinstance(cron, str) else None
    if problem is not None:
        raise Rejection(BAD_REQUEST, f"cronExpression {cron!r} is not usable: {problem}")
    return options


async def owned_job(store: JobStore, user_id: str, job_id: str) -> StoredJob:
    """Return the caller's job ``job_id``; answer 404 if it does not exist, is another user's or was deleted."""
    return owned(await run_in_threadpool(store.get_job, parse_job_id(job_id)), user_id, job_id)


def owned(job: StoredJob | None, user_id: str, job_id: str) -> StoredJob:
    """``job`` as read for ``job_id``, if it is the caller's and not deleted; else a 404."""
    if job is None or job.user_id != user_id:
        raise Rejection(NOT_FOUND, f"job {job_id} not found for user {user_id!r}")
    if job.status == JobStatus.DELETE:
        raise Rejection(NOT_FOUND, f"job {job_id} was deleted")
    return job


async def _submit(request: Request, persist: bool) -> Response:
    context, params, user_id = await authenticated_params(request, (FILES_FIELD,))
    db_vendor = parse_vendor(params)
    options = _submit_options(params)
    parse_bool(params, "firstSubmit", default=False)  # checked for form; a jobId already tells first from later
    job_name = params.get("jobName")
    if not persist and job_name is None:
        raise Rejection(BAD_REQUEST, "jobName is required")
    if not params.files:
        raise Rejection(BAD_REQUEST, "no SQL file: send one or more multipart file parts named sqlfiles")
    job_id = params.get("jobId") if persist else None
    if job_id is None:
        if options.get("schedulable") and not options.get("cron_expression"):
            raise Rejection(BAD_REQUEST, "cronExpression is required when schedulable is true")
        volumes = await run_in_threadpool(measure_files, params.files, (request_limit(context.config), SqlVolume()),
                                          (job_limit(context.config), SqlVolume()))
        new_id = uuid.uuid4().hex

        async def store_it(claim_exclude: Collection[str] | None) -> tuple[StoredJob, StoredJob | None]:
            return await _queued(
                context.store.create_job_and_claim,
                new_id,
                user_id,
                job_name or f"job-{new_id[:8]}",
                db_vendor,
                persist,
                options,
                params.files,
                volumes,
                max_queued=context.config.max_queued_jobs_per_user,
                claim_exclude=claim_exclude,
            )

        # stored and committed before it is answered; started at once when a process is free
        job = await hand_over(context.worker, store_it, params.files)
        return data_response(submitted_job(job))
    existing = await owned_job(context.store, user_id, job_id)
    replace = options.get("incremental") is False
    if not replace and db_vendor != existing.db_vendor:
        raise Rejection(
            BAD_REQUEST,
            f"job {job_id} holds {existing.db_vendor} SQL; to add {db_vendor} files, "
            "submit them to a new job (or resend all files with incremental=false)",
        )
    schedulable = options.get("schedulable", existing.schedulable)
    if schedulable and not options.get("cron_expression", existing.cron_expression):
        raise Rejection(BAD_REQUEST, "cronExpression is required when schedulable is true")
    changes: dict[str, object] = {**options, "db_vendor": db_vendor}
    if job_name is not None:
        changes["job_name"] = job_name
    # measured against what the job holds now; the store checks again as it adds them, in one transaction
    held = SqlVolume() if replace else await run_in_threadpool(context.store.job_volume, job_id)
    budget = job_limit(context.config)
    volumes = await run_in_threadpool(measure_files, params.files, (request_limit(context.config), SqlVolume()),
                                      (budget, held))
    job = await _queued(
        context.store.add_files, job_id, params.files, replace=replace, changes=changes,
        max_queued=context.config.max_queued_jobs_per_user, volumes=volumes, limit=budget,
    )
    context.worker.notify()
    return data_response(submitted_job(job))


async def _queued(store_it: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``store_it(*args, **kwargs)``, a store write that queues a job; past ``max_queued_jobs_per_user``, a 429.

    It answers with HTTP 200, as SQLFlow does most errors, so that clients do not send the upload
    again at once (they retry an HTTP 429): only a finished job makes room.
    """
    try:
        return await run_in_threadpool(store_it, *args, **kwargs)
    except QueueFullError as exc:
        raise Rejection(TOO_MANY_QUEUED, str(exc)) from None


async def submit_persist_job(request: Request) -> Response:
    """``submitPersistJob``: a new job, or more files for the job named by ``jobId``."""
    return await _submit(request, persist=True)


async def submit_user_job(request: Request) -> Response:
    """``submitUserJob``: a new one-off job (``jobName`` and ``dbvendor`` required)."""
    return await _submit(request, persist=False)


async def display_user_job_summary(request: Request) -> Response:
    """``displayUserJobSummary``: one job of the caller, by ``jobId`` or else by ``jobName``.

    With ``waitMillis`` (an extension of the local server, ``server/job_settled.py``) a job by ``jobId``
    that is not final yet is answered once its analysis ends, or after that many milliseconds."""
    context, params, user_id = await authenticated_params(request)
    job_id = params.get("jobId")
    hold = parse_wait(params.get(WAIT_FIELD))
    if job_id is not None:
        if hold:
            return data_response(await _held_summary(context, user_id, job_id, hold))
        return data_response((await _owned_summary(context.store, user_id, job_id))[1])
    job_name = params.get("jobName")
    if job_name is None:
        raise Rejection(BAD_REQUEST, "jobId (or jobName) is required")
    jobs = await run_in_threadpool(context.store.user_jobs, user_id)
    named = [job for job in jobs if job.job_name == job_name]
    if not named:
        raise Rejection(NOT_FOUND, f"no job named {job_name!r} for user {user_id!r}")
    return data_response(await _summary_with_errors(context.store, max(named, key=lambda job: job.create_time)))


async def _held_summary(context: ServerContext, user_id: str, job_id: str, hold: float) -> dict[str, Any]:
    """The summary of the caller's job ``job_id`` once it is final, or as it is after ``hold`` seconds (or when
    the server stops)."""
    with context.worker.settled.watching(job_id) as settled:  # watched before it is read: no end is missed
        job, summary = await _owned_summary(context.store, user_id, job_id)
        if job.status in FINAL_STATUSES:
            return summary
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(settled.wait(), hold)
    if context.stopping.is_set():
        return summary  # answered as it was read: the store is about to close
    return (await _owned_summary(context.store, user_id, job_id))[1]


async def _owned_summary(store: JobStore, user_id: str, job_id: str) -> tuple[StoredJob, dict[str, Any]]:
    """The caller's job ``job_id`` and its summary with its errors, read in one trip to a thread (not two)."""
    job, errors = await run_in_threadpool(_job_and_errors, store, parse_job_id(job_id))
    mine = owned(job, user_id, job_id)
    return mine, _with_errors(job_summary(mine), errors)


def _job_and_errors(store: JobStore, job_id: str) -> tuple[StoredJob | None, tuple[list[dict[str, Any]], int]]:
    job = store.get_job(job_id)
    analysed = job is not None and job.status in ANALYSED_STATUSES
    return job, store.job_errors(job_id) if analysed else ([], 0)


async def _summary_with_errors(store: JobStore, job: StoredJob) -> dict[str, Any]:
    """The job object, plus ``errors`` (and ``errorCount``) once the analysis has listed problems."""
    if job.status not in ANALYSED_STATUSES:
        return job_summary(job)
    return _with_errors(job_summary(job), await run_in_threadpool(store.job_errors, job.job_id))


def _with_errors(summary: dict[str, Any], errors: tuple[list[dict[str, Any]], int]) -> dict[str, Any]:
    """``summary`` plus ``errors`` (and ``errorCount``) once the analysis has listed problems."""
    if errors[0]:
        summary["errors"], summary["errorCount"] = errors
    return summary


async def display_user_jobs_summary(request: Request) -> Response:
    """``displayUserJobsSummary``: counts and details of all the caller's jobs."""
    context, _params, user_id = await authenticated_params(request)
    jobs = await run_in_threadpool(context.store.user_jobs, user_id)
    statuses = [job.status for job in jobs]
    return data_response(
        {
            "total": len(jobs),
            "success": statuses.count(JobStatus.SUCCESS),
            "partialSuccess": statuses.count(JobStatus.PARTIAL_SUCCESS),
            "fail": statuses.count(JobStatus.FAIL),
            "jobIds": [job.job_id for job in jobs],
            "jobDetails": [job_summary(job) for job in jobs],
        }
    )


async def delete_user_job(request: Request) -> Response:
    """``deleteUserJob``: delete a job of the caller; answer it with status ``delete``."""
    context, params, user_id = await authenticated_params(request)
    job_id = params.get("jobId")
    if job_id is None:
        raise Rejection(BAD_REQUEST, "jobId is required")
    await owned_job(context.store, user_id, job_id)
    job = await run_in_threadpool(context.store.delete_job, job_id)
    return data_response(job_summary(job))
