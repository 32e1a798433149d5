"""Reading a request's parameters (query, urlencoded or multipart) and checking them."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive

from sqlflow_magic.protocol import is_job_id
from sqlflow_magic.server.access import Access
from sqlflow_magic.server.config import ServerConfig
from sqlflow_magic.server.exports.views import ViewError, ViewOptions
from sqlflow_magic.server.responses import BAD_REQUEST, TOO_LARGE, Rejection
from sqlflow_magic.server.store import SqlFile
from sqlflow_magic.vendors import VENDORS, UnknownVendorError, resolve_vendor

FILES_FIELD = "sqlfiles"
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


@dataclass
class RequestParams:
    """A request's scalar fields (form fields over query parameters) and its ``sqlfiles`` parts."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[SqlFile] = field(default_factory=list)
    authorization: str = ""

    def get(self, name: str) -> str | None:
        """Return a field with surrounding blanks removed; None when absent or empty."""
        value = self.fields.get(name, "").strip()
        return value or None


def _size_limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _too_large(limit)
        return message

    return receive_within_limit


def _too_large(limit: int) -> Rejection:
    return Rejection(
        TOO_LARGE, f"the request is larger than the server's upload limit of {limit} bytes (max_upload_bytes)", 413
    )


async def read_params(
    request: Request, config: ServerConfig, file_fields: tuple[str, ...] = (FILES_FIELD,)
) -> RequestParams:
    """Collect query parameters, form fields and uploaded files, enforcing the upload limits.

    File parts named in ``file_fields`` (``sqlfiles`` for jobs; ``sqlfile`` for the generation
    endpoint) become ``files``; other file parts are ignored.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_upload_bytes:
        raise _too_large(config.max_upload_bytes)
    params = RequestParams(fields=dict(request.query_params), authorization=request.headers.get("authorization", ""))
    limited = Request(request.scope, _size_limited(request.receive, config.max_upload_bytes))
    try:
        async with limited.form(max_files=config.max_files_per_request) as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if name in file_fields:
                        params.files.append(SqlFile(value.filename or "", await value.read()))
                elif name in file_fields:
                    if not value.strip():  # SQLFlow's documented curl call sends an empty "sqlfile=" beside sqltext
                        continue
                    raise Rejection(BAD_REQUEST, f"{name} must be sent as multipart file parts, each with a filename")
                else:
                    params.fields[name] = value
    except HTTPException as exc:  # starlette's form parser reports its own limits this way
        if "Too many files" in str(exc.detail):
            raise Rejection(
                TOO_LARGE,
                f"too many files: at most {config.max_files_per_request} per request (max_files_per_request)",
                413,
            ) from None
        raise Rejection(BAD_REQUEST, f"cannot read the request body: {exc.detail}") from None
    for number, sql_file in enumerate(params.files, start=1):
        if not sql_file.filename:
            params.files[number - 1] = SqlFile(f"sqlfile{number}.sql", sql_file.content)
    return params


def token_of(params: RequestParams) -> str | None:
    """The request's token: the ``token`` field, else an ``Authorization: Token|Bearer ...`` header."""
    token = params.get("token")
    if token:
        return token
    scheme, _, credentials = params.authorization.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and credentials.strip():
        return credentials.strip()
    return None


def authenticate(params: RequestParams, access: Access) -> str:
    """Return the caller's userId once its token checks out; raise :class:`Rejection` (401/403) if not."""
    return access.check(params.get("userId"), token_of(params))


def parse_bool(params: RequestParams, name: str, default: bool) -> bool:
    """Read a ``true``/``false`` field (any case); absent or empty gives ``default``."""
    value = params.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Rejection(BAD_REQUEST, f"{name} must be true or false, not {value!r}")


def parse_port(params: RequestParams) -> int | None:
    """Read the optional ``port`` field: an integer from 1 to 65535."""
    value = params.get("port")
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise Rejection(BAD_REQUEST, f"port must be an integer from 1 to 65535, not {value!r}")
    return int(value)


def parse_job_id(value: str) -> str:
    """Check that a jobId is 32 lowercase hex characters."""
    if not is_job_id(value):
        raise Rejection(BAD_REQUEST, f"jobId must be 32 lowercase hexadecimal characters, not {value!r}")
    return value


def parse_vendor(params: RequestParams) -> str:
    """Read the required ``dbvendor`` field; it must be one of SQLFlow's ``dbv...`` values."""
    value = params.get("dbvendor")
    if value is None:
        raise Rejection(BAD_REQUEST, "dbvendor is required, e.g. dbvoracle, dbvmssql, dbvpostgresql")
    if value.lower() in VENDORS:
        return value.lower()
    try:
        hint = f"did you mean {resolve_vendor(value)!r}?"
    except UnknownVendorError as exc:
        hint = str(exc).partition(": ")[2]
    raise Rejection(BAD_REQUEST, f"unknown dbvendor {value!r}: {hint}")


def parse_view(params: RequestParams) -> ViewOptions:
    """The display settings of an export: ``showRelationType``, ``ignoreRecordSet``, ``tableToTable``, filters..."""
    try:
        return ViewOptions.from_fields(params.get, lambda name, default: parse_bool(params, name, default))
    except ViewError as exc:
        raise Rejection(BAD_REQUEST, str(exc)) from None


def parse_delimiter(params: RequestParams) -> str:
    """The CSV ``delimiter``: one character other than a quote or a line break; empty means ``,``.

    The raw field is used (not stripped), so a tab arrives as itself; ``\\t`` and ``tab`` also mean tab.
    """
    value = params.fields.get("delimiter", "")
    if value == "":
        return ","
    value = _DELIMITER_NAMES.get(value, value)
    if len(value) != 1 or value in "\"\r\n":
        raise Rejection(BAD_REQUEST, f"delimiter must be one character (not a quote or line break), not {value!r}")
    return value
