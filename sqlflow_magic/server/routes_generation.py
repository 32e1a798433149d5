"""The synchronous endpoints: lineage of SQL text (``/sqlflow/generation/sqlflow...``) and ``/demo/...``.

The SQL comes as ``sqltext``, or as ``sqlfile`` (or ``sqlfiles``) parts; it is analysed in an analysis
process within the job time limit, and the answer is a view of its lineage (the request's display
settings), written as the endpoint's shape: the lineage under ``data``, the graph answer, or CSV.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sqlflow_magic._version import __version__
from sqlflow_magic.server.budgets import SqlVolume, measure_files, request_limit
from sqlflow_magic.server.context import ServerContext, context_of
from sqlflow_magic.server.params import (
    RequestParams,
    authenticate,
    parse_delimiter,
    parse_vendor,
    parse_view,
    read_params,
    token_gate,
)
from sqlflow_magic.server.records import AnalysisRequest, SqlFile
from sqlflow_magic.server.responses import BAD_REQUEST, NOT_IMPLEMENTED, OK, Rejection

GENERATION = "/sqlflow/generation/sqlflow"
#: What ``/demo/...`` answers give as the parser's version (SQLFlow's scripts print it).
PARSER_VERSION = f"sqlflow-magic {__version__} (sqlglot)"


async def _sql_request(request: Request, text_field: str) -> tuple[ServerContext, RequestParams, AnalysisRequest]:
    """Read and authenticate a request carrying SQL in ``text_field`` or in ``sqlfile``/``sqlfiles`` parts."""
    context = context_of(request)
    params = await read_params(request, context, ("sqlfile", "sqlfiles"), admit=token_gate(context.access),
                               named_files=True)
    authenticate(params, context.access)
    text = params.fields.get(text_field, "")
    typed = [SqlFile(f"{text_field}.sql", text.encode("utf-8"))] if text.strip() else []
    if not typed and not params.files:
        raise Rejection(BAD_REQUEST,
                        f"{text_field} is required (or send the SQL as multipart file parts named sqlfile)")
    dbvendor, limit = parse_vendor(params), request_limit(context.config)
    await run_in_threadpool(measure_files, [*typed, *params.files], (limit, SqlVolume()))
    # a large upload goes by its path: the analysis process reads it
    files = [*typed, *(upload.for_analysis() for upload in params.files)]
    analysis = AnalysisRequest(
        files=tuple(files), dbvendor=dbvendor, default_database=params.get("defaultDatabase"),
        default_schema=params.get("defaultSchema"), sql_limit=limit,
    )
    return context, params, analysis


def _generation(form: str) -> Callable[[Request], Any]:
    """An endpoint answering the lineage of the SQL sent, as ``form`` (see ``render_generation``)."""

    async def endpoint(request: Request) -> Response:
        context, params, analysis = await _sql_request(request, "sqltext")
        options, delimiter = parse_view(params), parse_delimiter(params)
        body = await context.worker.generate(analysis, options, form, delimiter)
        if form in ("json", "graph"):
            return Response(body, media_type="application/json")
        attachment = {"content-disposition": 'attachment; filename="lineage.csv"'}
        return Response(body, media_type="text/csv", headers=attachment)

    return endpoint


def _demo_data(started: float, **more: Any) -> dict[str, Any]:
    return {"usedTime": f"{(time.monotonic() - started) * 1000:.0f}ms", "gsp.version": PARSER_VERSION, **more}


async def check_syntax(request: Request) -> Response:
    """``/demo/syntax/check``: the syntax errors of ``sql``, with their positions (from sqlglot's parser)."""
    started = time.monotonic()
    context, _params, analysis = await _sql_request(request, "sql")
    errors = await context.worker.check_syntax(analysis)
    answer: dict[str, Any] = {"code": OK if not errors else BAD_REQUEST, "data": _demo_data(started, errorInfos=errors)}
    if errors:
        answer["error"] = f"{len(errors)} syntax error(s); the first: {errors[0]['errorMessage']}"
    return JSONResponse(answer)


async def to_xml(request: Request) -> Response:
    """``/demo/xml/toXML``: SQLFlow's own parse tree as XML, which the local server cannot make."""
    started = time.monotonic()
    await _sql_request(request, "sql")
    message = ("/demo/xml/toXML is not supported by the local server: it returns the parse tree of SQLFlow's own "
               "parser (GSP), which the local server does not have; use a SQLFlow server for it")
    return JSONResponse({"code": NOT_IMPLEMENTED, "error": message, "data": _demo_data(started, xml="")})


async def version(request: Request) -> Response:
    """``/version``: the versions of the parser and the server, as SQLFlow's clients read them."""
    context = context_of(request)
    authenticate(await read_params(request, context, (), admit=token_gate(context.access)), context.access)
    released = {"version": __version__, "release.date": ""}
    versions = {"gsp": {**released, "version": PARSER_VERSION}, "backend": released}
    return JSONResponse({"code": OK, "version": versions, "data": {"version": versions}})


def generation_routes() -> list[BaseRoute]:
    """The routes of this module, relative to the API prefix; the generation paths also with a trailing slash."""
    endpoints: dict[str, Callable[[Request], Any]] = {
        GENERATION: _generation("json"),
        f"{GENERATION}/graph": _generation("graph"),
        f"{GENERATION}/exportLineageAsCsv": _generation("csv"),
        f"{GENERATION}/exportFullLineageAsCsv": _generation("full-csv"),
    }
    routes: list[BaseRoute] = []
    for path, endpoint in endpoints.items():
        routes += [Route(path, endpoint, methods=["POST"]), Route(f"{path}/", endpoint, methods=["POST"])]
    routes += [Route("/demo/syntax/check", check_syntax, methods=["POST"]),
               Route("/demo/xml/toXML", to_xml, methods=["POST"]),
               Route("/version", version, methods=["POST"])]
    return routes
