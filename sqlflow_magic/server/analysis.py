"""What runs in an analysis process: a job's files in, its status and lineage exports out.

Every public function here is a task of :meth:`sqlflow_magic.server.pool.AnalysisPool.run` (or its
initializer, :func:`warm_up`), run in a child process of the server, so it imports neither starlette
nor uvicorn, and it never raises on bad input: unreadable files, zip bombs and SQL the engine cannot
read become entries of the job's errors. See ``docs/server.md``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlflow_magic.protocol import JobStatus, error_entry
from sqlflow_magic.server.budgets import BudgetExceeded, SqlBudget, SqlLimit, SqlVolume, is_zip
from sqlflow_magic.server.child_limits import limit_memory
from sqlflow_magic.server.config import time_limit_message
from sqlflow_magic.server.exports import ViewOptions
from sqlflow_magic.server.job_results import ERRORS_KIND
from sqlflow_magic.server.pool_child import collections_paused
from sqlflow_magic.server.records import AnalysisRequest, SqlFile, SqlFileOnDisk
from sqlflow_magic.server.stored_files import read_job_files

if TYPE_CHECKING:  # the engine is imported in the analysis processes only, when first needed
    from sqlflow_magic.server.lineage import LineageError, LineageResult, SqlSource

#: Exports rendered when a large job finishes, so that their first requests are served from storage: what
#: SQLFlow's own clients ask for (the default view as JSON and both CSVs) and the notebook's picture
#: (``fdd,fdr``). Any other export, and every export of a smaller job (rendered in milliseconds) but the
#: picture (:data:`ALWAYS_RENDERED`), is rendered on its first request (in an analysis process) and stored then.
PRERENDERED = (
    (ViewOptions(), "json"),
    (ViewOptions(frozenset({"fdd", "fdr"})), "json"),
    (ViewOptions(), "csv"),
    (ViewOptions(), "full-csv"),
)
#: The size of a job's complete lineage JSON from which :data:`PRERENDERED` are rendered with the job: reading
#: it again takes about 40 ms per MB, the renders of 1 MB about as long again.
PRERENDER_FROM_BYTES = 1_000_000
#: The exports rendered with every job, whatever its size: the notebook's picture (``fdd,fdr``), which
#: ``%%sqlflow_submit --wait`` fetches as soon as the job is final. Rendered here it costs a small job well
#: under a millisecond, while rendering it on its first request costs a round trip to an analysis process
#: (about 10 ms of the wait; see docs/performance.md).
ALWAYS_RENDERED = (PRERENDERED[1],)
#: Error type of a zip member that is not SQL: reported, but it does not make a job partial.
SKIPPED_FILE = "SkippedFile"
#: Error type of an unusable zip (corrupt, a bomb, unsafe member names).
ARCHIVE_ERROR = "ArchiveError"
#: How many errors a job's summary lists at most (the lineage JSON lists them all).
MAX_LISTED_ERRORS = 100
#: The reason :func:`~sqlflow_magic.server.lineage.input.archives.expand_zip` gives for a member that is not ``.sql``.
NOT_SQL_REASON = "not a .sql file"


@dataclass(frozen=True)
class JobOutcome:
    """The final status of an analysed job and the results to store with it."""

    status: JobStatus
    error_message: str | None
    session_id: str
    results: dict[str, bytes] = field(default_factory=dict)


def warm_up(memory_limit_mb: int = 0) -> int:
    """The pool's initializer: import the lineage engine so the first analysis starts at once; return the process id.

    First the process limits its own memory to ``memory_limit_mb`` MiB (``analysis_memory_limit_mb``;
    0: no limit; see ``server/child_limits.py``), and numpy's OpenBLAS to one thread, so that drawing a
    picture fits in a small limit. sqlglot's warnings would land on stderr through logging's last-resort
    handler; the job's errors report them instead.
    """
    limit_memory(memory_limit_mb)
    # igraph's layered layout imports numpy, whose OpenBLAS reserves a buffer per core when it loads: under a
    # small memory limit that failed and ended the process. The analysis never multiplies matrices.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    import sqlflow_magic.server.lineage  # noqa: F401

    return os.getpid()


def new_session_id() -> str:
    """A SQLFlow session id: ``<64 hex>_<epoch ms>``."""
    return f"{secrets.token_hex(32)}_{int(time.time() * 1000)}"


def failed_outcome(message: str, error_type: str) -> JobOutcome:
    """A ``fail`` outcome whose error list holds ``message`` (used for crashes and hard time limits)."""
    errors = _errors_body([error_entry(message, error_type)])
    return JobOutcome(JobStatus.FAIL, message, new_session_id(), {ERRORS_KIND: errors})


def analyse_job(request: AnalysisRequest) -> JobOutcome:
    """Analyse all files of a job and pre-render every export, so exports are served from storage."""
    try:
        return _analyse_job(request)
    except BudgetExceeded as exc:  # a job stored before its budget was counted, or under a higher one
        return failed_outcome(str(exc), "BudgetExceeded")
    except MemoryError:  # the pool replaces this process, and the worker fails the job naming the memory limit
        raise
    except Exception as exc:  # an engine bug must cost this job only, never the worker
        return failed_outcome(f"the analysis failed unexpectedly: {type(exc).__name__}: {exc}"[:500], "AnalyzeError")


def analyse_generation(request: AnalysisRequest, options: ViewOptions, form: str, delimiter: str) -> bytes:
    """The answer of a ``/sqlflow/generation/sqlflow...`` endpoint (``form``, see ``render_generation``)."""
    result, _status, _message = _analyse(request)
    with collections_paused():  # as a job's exports (``job_outcome``): the answer is made and freed within
        return _generation_answer(result, options, form, delimiter)


def _generation_answer(result: LineageResult, options: ViewOptions, form: str, delimiter: str) -> bytes:
    from sqlflow_magic.server.exports import render_generation
    from sqlflow_magic.server.lineage import to_sqlflow_json

    answer = to_sqlflow_json(result, table_level=options.table_level)
    answer.pop("jobId")
    answer["sessionId"] = new_session_id()
    return render_generation(answer, options, form, delimiter)


def render_export(lineage: bytes, options: ViewOptions, form: str, delimiter: str) -> bytes:
    """An export of a stored complete lineage (its JSON text), rendered on its first request."""
    from sqlflow_magic.server.exports import render_stored

    with collections_paused():  # reading 100 MB of JSON back makes objects by the million
        return render_stored(lineage, options, form, delimiter)


def check_syntax(request: AnalysisRequest) -> list[dict[str, Any]]:
    """The syntax errors of the SQL of ``request`` (``/demo/syntax/check``), each with its position."""
    from sqlflow_magic.server.lineage import LineageError
    from sqlflow_magic.server.lineage.deadline import Deadline
    from sqlflow_magic.server.lineage.input.dialects import choose_dialect
    from sqlflow_magic.server.lineage.input.parsing import ScriptParser
    from sqlflow_magic.server.lineage.input.scanning import Failure, LineIndex

    sources, notes = _sources(_files_of(request), request.sql_limit)
    limit = request.time_limit_seconds
    deadline = Deadline(None if limit is None else time.monotonic() + limit)
    parser = ScriptParser(choose_dialect(request.dbvendor), deadline)
    found = [_error_entry(note) for note in notes]
    for source in sources:
        lines = LineIndex(source.text)
        for item in parser.parse(source.text):
            if isinstance(item, Failure) and item.error_type == "SyntaxError":
                span = lines.span(item.start, item.end)
                found.append(
                    {
                        **_error_entry(LineageError(item.message, item.error_type, source.name, span)),
                        "line": span.start_line,
                        "column": span.start_column,
                    }
                )
    return found


def _analyse_job(request: AnalysisRequest) -> JobOutcome:
    return job_outcome(request, *_analyse(request))


def job_outcome(
    request: AnalysisRequest, result: LineageResult, status: JobStatus, message: str | None, *,
    now_ms: int | None = None, leave_out: Collection[tuple[ViewOptions, str]] = (),
) -> JobOutcome:
    """The outcome of an analysed job: its errors, and its lineage and prerendered exports unless it failed;
    ``now_ms`` stamps its session id, and the exports ``leave_out`` are rendered elsewhere (``export_rendering``)."""
    listed = [_error_entry(error) for error in result.errors if not error.is_hint or error.error_type == SKIPPED_FILE]
    results = {ERRORS_KIND: _errors_body(listed)}
    if status == JobStatus.FAIL:  # a failed job has no exports to serve
        return JobOutcome(status, message, new_session_id(), results)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    from sqlflow_magic.server.export_rendering import render_exports

    with collections_paused():  # the lineage JSON of 5 MB of SQL took 3.5 s with collections, 1.1 s without
        session_id = render_exports(request, result, status, message, now_ms, leave_out, results)
    return JobOutcome(status, message, session_id or new_session_id(), results)


def _analyse(request: AnalysisRequest) -> tuple[LineageResult, JobStatus, str | None]:
    """Run the engine on every file (zips expanded); return the result, the job status and its message."""
    from sqlflow_magic.server.lineage import analyze

    sources, notes = job_sources(request)
    limit = request.time_limit_seconds
    deadline = None if limit is None else time.monotonic() + limit
    result = analyze(
        sources,
        request.dbvendor,
        default_database=request.default_database,
        default_schema=request.default_schema,
        deadline=deadline,
    )
    return judge(result, notes, limit)


def job_sources(request: AnalysisRequest) -> tuple[list[SqlSource], list[LineageError]]:
    """The request's SQL files decoded (zips expanded), and notes on what was skipped or broken."""
    return _sources(_files_of(request), request.sql_limit)


def judge(
    result: LineageResult, notes: list[LineageError], limit: float | None
) -> tuple[LineageResult, JobStatus, str | None]:
    """The job's status and message from its result; the file ``notes`` join the result's errors first."""
    status = JobStatus(result.status)  # before the file notes are added: a skipped member is no analysis problem
    result.errors[:0] = notes
    if result.timed_out and limit is not None:
        return result, JobStatus.FAIL, time_limit_message(limit, f" after {result.statement_count} statements")
    if status == JobStatus.SUCCESS and any(note.error_type == ARCHIVE_ERROR for note in notes):
        status = JobStatus.PARTIAL_SUCCESS
    return result, status, _status_message(result, status)


def _files_of(request: AnalysisRequest) -> list[SqlFile]:
    """The files of the request, read here: those spooled to disk, and a job's files from the job store."""
    files = [file.read() if isinstance(file, SqlFileOnDisk) else file for file in request.files]
    if request.store_path is not None and request.job_id is not None:
        files += read_job_files(request.store_path, request.job_id)
    return files


def _sources(files: Sequence[SqlFile], limit: SqlLimit | None) -> tuple[list[SqlSource], list[LineageError]]:
    """Decode plain files and expand zips into engine sources, plus notes on what was skipped or broken.

    The SQL is charged to ``limit`` as it is expanded: :class:`BudgetExceeded` past it.
    """
    from sqlflow_magic.server.lineage import decode_sql

    budget = SqlBudget() if limit is None else SqlBudget((limit, SqlVolume()))
    sources: list[SqlSource] = []
    notes: list[LineageError] = []
    for file in files:
        if is_zip(file.filename, file.content):
            _expand(file, sources, notes, budget)
        else:
            budget.add_file()
            budget.add_bytes(len(file.content))
            sources.append(decode_sql(file.content, file.filename or "query.sql"))
    return sources, notes


def _expand(file: SqlFile, sources: list[SqlSource], notes: list[LineageError], budget: SqlBudget) -> None:
    from sqlflow_magic.server.lineage import LineageError, decode_sql
    from sqlflow_magic.server.lineage.input.archives import ArchiveError, expand_zip

    name = file.filename or "archive.zip"
    try:
        expansion = expand_zip(file.content, budget=budget)
    except ArchiveError as exc:
        notes.append(LineageError(f"{name}: {exc}", ARCHIVE_ERROR, name))
        return
    for member_name, content in expansion.members:
        sources.append(decode_sql(content, f"{name}/{member_name}"))
    for skipped in expansion.skipped:
        # a member that is merely not SQL is a note; an unsafe or encrypted one is a problem of the upload
        kind = SKIPPED_FILE if skipped.reason == NOT_SQL_REASON else ARCHIVE_ERROR
        notes.append(LineageError(f"{name}/{skipped.name}: {skipped.reason}", kind, name))


def _status_message(result: LineageResult, status: JobStatus) -> str | None:
    """The short ``errorMessage`` of a job: how many problems, and the first one."""
    if status == JobStatus.SUCCESS:
        return None
    problems = [error for error in result.errors if not error.is_hint and error.error_type != SKIPPED_FILE]
    if status == JobStatus.FAIL:
        if not problems:
            return "no SQL statement found in the job's files"
        return f"no SQL statement could be analysed: {_located(problems[0])}"[:1000]
    more = f" (and {len(problems) - 1} more, see errors)" if len(problems) > 1 else ""
    first = _located(problems[0]) if problems else "some SQL was not analysed"
    return f"{len(problems)} problem(s) in the SQL: {first}{more}"[:1000]


def _located(error: LineageError) -> str:
    """An error with where it is: ``cell.sql line 3, column 7: Syntax error near ...``, on one line (a zip
    member's name may hold a line break)."""
    from sqlflow_magic.server.lineage.input.messages import one_line

    if error.span is None:
        return one_line(error.message)
    return one_line(
        f"{error.file_name} line {error.span.start_line}, column {error.span.start_column}: {error.message}"
    )


def _error_entry(error: LineageError) -> dict[str, Any]:
    """An engine error as an entry of a job's ``errors``, with the parser's own words when it has them."""
    extra = {"parserMessage": error.raw} if error.raw else {}
    return error_entry(
        error.message,
        error.error_type,
        file_name=error.file_name,
        coordinates=error.span.to_json() if error.span else None,
        **extra,
    )


def _errors_body(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"errors": entries[:MAX_LISTED_ERRORS], "errorCount": len(entries)}).encode()
