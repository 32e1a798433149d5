"""The request a ``%%sqlflow_submit`` cell makes: its SQL, its files and the options of its line.

Kept apart from the magic so that the magic stays a thin layer: parse the line, build the request
here, send it with the client, show the job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..client.models import Job, SubmitRequest
from ..client.secrets import MASK, display_url, mask_identifier
from ..protocol import ON_PREMISE_USER_ID
from ..vendors import UnknownVendorError, resolve_vendor
from . import line_options as check
from .effective_settings import EffectiveSettings

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient
    from ..display.request import RequestPreview

_SECRET_ON_LINE = ("never put a {what} on the magic line: it is saved with the notebook. "
                   "{fix}")


def submit_request(args: Any, cell: str | None, config: EffectiveSettings) -> SubmitRequest:
    """The request of a ``%%sqlflow_submit`` cell: its SQL and files, and the options of its line."""
    max_bytes = config.max_cell_bytes.value
    files = check.attached_files(args.file, max_bytes)
    line_form = cell is None
    cell_upload = check.cell_file(cell or "", check.file_name(args.filename), max_bytes)
    if cell_upload is None and not files and line_form:
        raise UsageError("%sqlflow_submit (one %) sends files only: attach them with --file PATH, or write "
                         "%%sqlflow_submit with the SQL on the lines below it")
    if cell_upload is None and not files:
        raise UsageError("nothing to submit: the cell is empty; write SQL below %%sqlflow_submit, "
                         "or attach files with --file")
    if args.no_incremental and not args.job_id:
        raise UsageError("--no-incremental needs --job-id: it replaces the files of an existing job")
    schedule = check.cron_expression(args.schedule) if args.schedule else None
    if (args.schedule and args.no_schedule) or (args.on_top and args.no_pin):
        raise UsageError("--schedule and --no-schedule (or --on-top and --no-pin) contradict each other: "
                         "give one of them")
    return SubmitRequest(
        dbvendor=_vendor(args.dbvendor, config),
        files=tuple(([cell_upload] if cell_upload else []) + files),
        job_id=check.job_id(args.job_id) if args.job_id else None,
        job_name=args.job_name, incremental=not args.no_incremental,
        default_database=args.default_database, default_schema=args.default_schema,
        hostname=args.hostname, port=args.port, database=args.database, account=args.account,
        password=check.password(args.password_env, args.password_prompt),
        schedulable=True if schedule else False if args.no_schedule else None, cron_expression=schedule,
        on_top=True if args.on_top else False if args.no_pin else None,
        sqlsource=args.sqlsource, extra=args.extra,
    )

def _vendor(option: str | None, config: EffectiveSettings) -> str:
    if option is not None:
        return check.vendor(option)
    try:
        return resolve_vendor(config.default_vendor.value)
    except UnknownVendorError as exc:
        raise UsageError(f"{exc} (from {config.default_vendor.source})") from None

def for_existing_job(request: SubmitRequest, args: Any, saved: object,
                     client: SQLFlowClient | None) -> SubmitRequest:
    """An incremental submit keeps the job's vendor (unless --dbvendor says otherwise) and gets a file
    name the job does not have yet (cell-2.sql, ...). ``saved`` is the job the notebook saved last (its
    file names spare a request); ``client`` None: no network (a dry run)."""
    if not request.job_id or not request.incremental:
        return request
    job = saved if isinstance(saved, Job) and saved.job_id == request.job_id else None
    if job is None and client is not None:
        job = client.job_summary(request.job_id)
    if job is None:
        vendor = request.dbvendor if args.dbvendor is not None else "(the job's vendor, looked up when sent)"
        return replace(request, dbvendor=vendor)
    files = request.files
    if args.filename == "cell.sql" and files and files[0].filename == "cell.sql":
        files = (replace(files[0], filename=unused_name("cell.sql", job.file_names)), *files[1:])
    return replace(request, dbvendor=request.dbvendor if args.dbvendor is not None else job.db_vendor,
                   files=files)

def preview(request: SubmitRequest, config: EffectiveSettings, running_url: str | None) -> RequestPreview:
    """What ``--dry-run`` shows: the request that would be sent, secrets masked, and every field scrubbed of
    the secrets in force and of anything written as a credential (``--extra "...password=..."``).

    ``running_url`` is the embedded server's URL if it runs already (a dry run never starts it).
    """
    from ..client.scrubbing import Scrubber, url_credentials
    from ..display.request import RequestPreview

    embedded = config.uses_embedded_server
    if embedded:
        url = running_url or "http://127.0.0.1:<port>/gspLive_backend"
    else:
        url = display_url(str(config.base_url.value))
    needs_token = config.user_id.value != ON_PREMISE_USER_ID
    token = MASK if needs_token else "token (the on-premise user's placeholder, not a secret)"
    auth = {"userId": mask_identifier(config.user_id.value), "token": token}
    scrub = Scrubber([config.secret_key.value, config.token.value, request.password,
                      *url_credentials(str(config.base_url.value or ""))])
    fields = {name: scrub(value) for name, value in request.form_fields(reveal_secrets=False).items()}
    return RequestPreview(f"{url}/sqlflow/job/submitPersistJob", {**auth, **fields}, request.files,
                          "the embedded local server" if embedded else "")


_SAFE_WAYS = {
    "password": ("database password", "Use --password-env ENV_VAR or --password-prompt"),
    "secret_key": ("secret key", "Set SQLFLOW_SECRET_KEY outside the notebook or run %sqlflow_login"),
    "token": ("token", "Set SQLFLOW_TOKEN outside the notebook or run %sqlflow_login"),
}


def refuse_secrets_on_line(args: Any) -> None:
    for option, (what, fix) in _SAFE_WAYS.items():
        if getattr(args, option) is not None:
            raise UsageError(_SECRET_ON_LINE.format(what=what, fix=fix))


def unused_name(name: str, taken: tuple[str, ...]) -> str:
    """``name``, or ``stem-2.sql``, ``stem-3.sql``, ... whichever the job does not have yet."""
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    number = 2
    while f"{stem}-{number}{dot}{suffix}" in taken:
        number += 1
    return f"{stem}-{number}{dot}{suffix}"
