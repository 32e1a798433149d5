"""The JSON shapes the server answers with: errors and job objects."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from sqlflow_magic.server.store import StoredJob

# Codes of the SQLFlow API (the ``code`` field of every answer).
OK = 200
BAD_REQUEST = 400
UNAUTHORIZED = 401  # no userId; generateToken: unknown userId or wrong key alike; on-premise user refused
FORBIDDEN = 403  # token missing, invalid, expired or revoked, known userId or not (server/access.py)
NOT_FOUND = 404  # no such job for this user
TIME_LIMIT = 408  # a synchronous analysis ran past job_time_limit_seconds; a body idle past body_idle_timeout_seconds
CONFLICT = 409  # the job is not finished (create/process): its lineage is not there yet
# upload over max_upload_bytes or max_files_per_request, fields over max_field_bytes; SQL over a budget
# or an archive's limit (server/budgets.py); an analysis past analysis_memory_limit_mb
TOO_LARGE = 413
TOO_MANY_QUEUED = 429  # a submit past max_queued_jobs_per_user (server/fair_queue.py); nothing stored
TOO_MANY_REQUESTS = 429  # generateToken: too many failures for this userId or from this address (Retry-After)
INTERNAL_ERROR = 500  # the analysis process crashed
NOT_IMPLEMENTED = 501  # an endpoint of SQLFlow that the local server cannot serve (/demo/xml/toXML)
UNAVAILABLE = 503  # the server is shutting down, or receives max_concurrent_uploads already


class Rejection(Exception):
    """The server refuses a request: it answers ``{"code": code, "error": message}`` (HTTP ``http_status``).

    ``headers`` go with the answer (``Retry-After`` of a 429 or 503; ``Connection: close`` when the body was
    left unread)."""

    def __init__(self, code: int, message: str, http_status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.headers = headers


def error_response(code: int, message: str, http_status: int = 200, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    """Return the API's error body; SQLFlow answers most errors with HTTP 200."""
    return JSONResponse({"code": code, "error": message}, status_code=http_status, headers=headers)


def data_response(data: dict[str, Any]) -> JSONResponse:
    """Return ``{"code": 200, "data": data}``."""
    return JSONResponse({"code": OK, "data": data})


def data_source(job: StoredJob) -> dict[str, Any]:
    """The live database the job names (never its password), or ``{}``."""
    given = {"hostname": job.hostname, "port": job.port, "database": job.database, "account": job.account}
    return {key: value for key, value in given.items() if value is not None}


def submitted_job(job: StoredJob) -> dict[str, Any]:
    """The ``data`` of a submit answer: the job's fields as SQLFlow writes them, ``""`` where a text is unset."""
    return {
        "jobId": job.job_id,
        "jobName": job.job_name,
        "userId": job.user_id,
        "dbVendor": job.db_vendor,
        "defaultDatabase": job.default_database or "",
        "defaultSchema": job.default_schema or "",
        "dataSource": data_source(job),
        "fileNames": list(job.file_names),
        "createTime": job.create_time,
        "status": job.status,
    }


def format_execute_time(millis: int) -> str:
    """Format a run time as SQLFlow does: ``"0min 1sec"``."""
    seconds = millis // 1000
    return f"{seconds // 60}min {seconds % 60}sec"


#: The display settings a job's lineage is shown with by default (SQLFlow lists them in the job).
DISPLAY_SETTINGS = {"showRelationType": "fdd", "ignoreRecordSet": True, "ignoreFunction": True, "simpleOutput": False,
                    "showConstantTable": False}


def job_summary(job: StoredJob) -> dict[str, Any]:
    """The full job object of ``displayUserJobSummary`` and ``jobDetails``."""
    summary = submitted_job(job)
    summary.update(
        {
            "userEmail": "",
            "sessionId": job.session_id or "",
            "executeTime": format_execute_time(job.execute_time_millis),
            "executeTimeMillis": job.execute_time_millis,
            "onTop": job.on_top,
            "parallel": False,
            "persist": job.persist,
            "incremental": job.incremental,
            "schedulable": job.schedulable,
            "cronExpression": job.cron_expression or "",
            "cancelSchedule": False,
            "lastExecuteTime": job.last_execute_time or "",
            "subJobs": [],
            "version": job.version,
            "sqlsource": job.sqlsource or "",
            "updateTime": job.updated_at,
            **DISPLAY_SETTINGS,
        }
    )
    if job.error_message:
        summary["errorMessage"] = job.error_message
    return summary
