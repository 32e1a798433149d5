"""The Starlette application of the local SQLFlow-compatible server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from sqlflow_magic._version import __version__
from sqlflow_magic.server.access import Access
from sqlflow_magic.server.budgets import OverLimit
from sqlflow_magic.server.config import ServerConfig, default_db_path
from sqlflow_magic.server.context import ServerContext, context_of
from sqlflow_magic.server.jobs import JobWorker
from sqlflow_magic.server.params import key_gate, read_params
from sqlflow_magic.server.pool import AnalysisCrashed, AnalysisOutOfMemory, AnalysisTimeout, PoolClosedError
from sqlflow_magic.server.private_files import private_directory
from sqlflow_magic.server.rate_limit import TokenAttemptLimits
from sqlflow_magic.server.responses import (
    INTERNAL_ERROR,
    NOT_FOUND,
    TIME_LIMIT,
    TOO_LARGE,
    UNAVAILABLE,
    Rejection,
    error_response,
)
from sqlflow_magic.server.routes_generation import generation_routes
from sqlflow_magic.server.routes_jobs import (
    delete_user_job,
    display_user_job_summary,
    display_user_jobs_summary,
    submit_persist_job,
    submit_user_job,
)
from sqlflow_magic.server.routes_lineage import lineage_routes
from sqlflow_magic.server.signing_key import LEGACY_SETTING, SigningKey, adopt_legacy_key, signing_key_path
from sqlflow_magic.server.store import JobStore, UnknownJobError
from sqlflow_magic.server.tokens import TokenKeeper
from sqlflow_magic.server.upload_slots import ClosesRequestResources
from sqlflow_magic.server.users import UserDirectory

#: Both path prefixes the real service is known under.
PREFIXES = ("/gspLive_backend", "/api/gspLive_backend")


async def generate_token(request: Request) -> Response:
    """``/user/generateToken``: trade ``userId`` + ``secretKey`` for a token (``code`` is the string "200")."""
    context = context_of(request)
    address = request.client.host if request.client else ""
    params = await read_params(request, context, (), admit=key_gate(context.access, address))
    token = context.access.issue_token(params.get("userId"), params.get("secretKey") or "", address)
    return JSONResponse({"code": "200", "token": token})


def _api_routes() -> list[BaseRoute]:
    endpoints = {
        "/user/generateToken": generate_token,
        "/sqlflow/job/submitPersistJob": submit_persist_job,
        "/sqlflow/job/submitUserJob": submit_user_job,
        "/sqlflow/job/displayUserJobSummary": display_user_job_summary,
        "/sqlflow/job/displayUserJobsSummary": display_user_jobs_summary,
        "/sqlflow/job/deleteUserJob": delete_user_job,
    }
    return [Route(path, endpoint, methods=["POST"]) for path, endpoint in endpoints.items()]


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejection)
    return error_response(exc.code, exc.message, exc.http_status, exc.headers)


async def _over_limit(_request: Request, exc: Exception) -> Response:
    # a request over a budget or an archive's limit (server/budgets.py): nothing of it was stored
    return error_response(TOO_LARGE, str(exc), 413)


async def _analysis_failed(_request: Request, exc: Exception) -> Response:
    """A synchronous analysis (generation, syntax check, an export's render) that did not finish."""
    if isinstance(exc, AnalysisTimeout):  # its message is the worker's, naming the time limit
        return error_response(TIME_LIMIT, str(exc))
    if isinstance(exc, AnalysisOutOfMemory):  # its message is the worker's, naming the memory limit
        return error_response(TOO_LARGE, str(exc))
    if isinstance(exc, PoolClosedError):
        return error_response(UNAVAILABLE, "the server is shutting down", 503)
    return error_response(INTERNAL_ERROR, str(exc))


async def _job_not_found(_request: Request, exc: Exception) -> Response:
    # a job deleted while this request was being handled
    return error_response(NOT_FOUND, f"job {exc.args[0]} not found")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: f"no such endpoint: {request.url.path}",
        405: f"method {request.method} not allowed: the SQLFlow API takes POST",
    }
    return error_response(exc.status_code, messages.get(exc.status_code, str(exc.detail)), exc.status_code)


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    return error_response(500, "internal server error", 500)


def _signing_secret(config: ServerConfig, store: JobStore) -> str | Callable[[], str]:
    """``config.jwt_secret``, or the current key of the database's signing key file (``server/signing_key.py``).

    A key an older version kept in the database moves into the file first, whichever is used."""
    key_file = signing_key_path(store.path)
    store.take_setting(LEGACY_SETTING, lambda legacy: adopt_legacy_key(key_file, legacy))
    return config.jwt_secret or SigningKey(key_file).current


def create_app(config: ServerConfig, store: JobStore | None = None) -> Starlette:
    """Build the app serving the SQLFlow job API under both ``PREFIXES``.

    The app opens ``config.db_path`` (unless given a ``store``) and closes it at shutdown;
    ``app.state.context`` holds the :class:`ServerContext` (config, store, users and tokens, job worker).
    The lifespan owns the :class:`JobWorker`: it starts it, and closes it (the only caller of
    ``JobWorker.close``) as soon as ``context.stopping`` is set or the lifespan ends, whichever is first.
    """
    users = UserDirectory(config.users, config.users_file)  # first: a bad users file opens nothing
    own_store = store is None
    if own_store and config.db_path.parent == default_db_path().parent:
        private_directory(config.db_path.parent, tighten=True)  # ours, maybe left 0755 by an older version
    job_store = JobStore(config.db_path, server_version=__version__) if store is None else store
    try:
        jwt_secret = _signing_secret(config, job_store)
    except BaseException:
        if own_store:
            job_store.close()
        raise
    limits = TokenAttemptLimits(config.token_failures_per_user, config.token_failures_per_address,
                                config.token_failure_window_seconds, trusted_seconds=config.token_ttl_seconds)
    access = Access(users=users, tokens=TokenKeeper(jwt_secret), allow_onprem_user=config.allow_onprem_user,
                    token_ttl_seconds=config.token_ttl_seconds, limits=limits)
    context = ServerContext(config=config, store=job_store, access=access, worker=JobWorker(job_store, config))

    async def close_when_stopping() -> None:
        await context.stopping.wait()
        await context.worker.close()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        context.worker.start()
        closed = asyncio.create_task(close_when_stopping(), name="sqlflow-magic-close-jobs")
        try:
            yield
        finally:
            context.stopping.set()
            await closed
            if own_store:
                job_store.close()

    routes = _api_routes() + lineage_routes() + generation_routes()
    app = Starlette(
        routes=[Mount(prefix, routes=routes) for prefix in PREFIXES],
        middleware=[Middleware(ClosesRequestResources)],  # spooled uploads and upload slots end with their request
        exception_handlers={
            Rejection: _api_error,
            OverLimit: _over_limit,
            UnknownJobError: _job_not_found,
            AnalysisTimeout: _analysis_failed,
            AnalysisCrashed: _analysis_failed,
            PoolClosedError: _analysis_failed,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.context = context
    return app
