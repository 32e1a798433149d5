"""Reading a request's parameters (query, urlencoded or multipart) and checking them.

:func:`read_params` reads the body as it streams in (``server/body_reader.py``): file parts are spooled
to disk past one MiB, at most ``max_concurrent_uploads`` uploads are received at once, and the caller's
credentials are checked before a large body is accepted (``docs/security.md``, "Uploads").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from sqlflow_magic.protocol import is_job_id
from sqlflow_magic.server.access import Access
from sqlflow_magic.server.body_reader import BodyLimits, BodyReader
from sqlflow_magic.server.config import ServerConfig
from sqlflow_magic.server.context import ServerContext
from sqlflow_magic.server.exports.views import ViewError, ViewOptions
from sqlflow_magic.server.responses import BAD_REQUEST, TOO_LARGE, Rejection
from sqlflow_magic.server.spool import MEMORY_BYTES, SpooledUpload
from sqlflow_magic.server.upload_slots import request_resources
from sqlflow_magic.vendors import VENDORS, UnknownVendorError, resolve_vendor

FILES_FIELD = "sqlfiles"
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


@dataclass
class RequestParams:
    """A request's scalar fields (form fields over query parameters) and its file parts, spooled.

    The files stay open until the request is answered, then they are closed and removed."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[SpooledUpload] = field(default_factory=list)
    authorization: str = ""

    def get(self, name: str) -> str | None:
        """Return a field with surrounding blanks removed; None when absent or empty."""
        value = self.fields.get(name, "").strip()
        return value or None


#: Whether the credentials read so far let the caller send a large body: True (yes), False (not known yet),
#: or :class:`Rejection` (401/403). With ``final`` (the pre-auth budget is spent) it must answer yes or raise.
Gate = Callable[[RequestParams, bool], bool]


def token_gate(access: Access) -> Gate:
    """The gate of every call but ``generateToken``: a ``userId`` and its token (or the on-premise user).

    A ``userId`` with a token that is not its valid token is refused as soon as both are read."""

    def admit(params: RequestParams, final: bool) -> bool:
        user_id, token = params.get("userId"), token_of(params)
        if user_id is None and not final:
            return False
        try:
            access.check(user_id, token)
        except Rejection:
            if final or token is not None:
                raise
            return False  # the token may still come, later in the body
        return True

    return admit


def key_gate(access: Access, address: str) -> Gate:
    """The gate of ``generateToken`` (from the client ``address``), whose body is small: its ``userId`` and
    ``secretKey`` decide once the budget is spent, as a token request of their own (a failure counts)."""

    def admit(params: RequestParams, final: bool) -> bool:
        if final:  # 401 unless the key is right (429 past the limits on failures)
            access.issue_token(params.get("userId"), params.get("secretKey") or "", address)
        return final

    return admit


def _too_large(limit: int) -> Rejection:
    return Rejection(
        TOO_LARGE, f"the request is larger than the server's upload limit of {limit} bytes (max_upload_bytes)", 413
    )


def _limits(config: ServerConfig, takes_files: bool) -> BodyLimits:
    if takes_files:
        return BodyLimits(config.max_upload_bytes, _too_large(config.max_upload_bytes).message,
                          config.max_preauth_bytes, config.max_field_bytes, config.max_files_per_request,
                          config.body_idle_timeout_seconds)
    too_large = (f"the request is larger than {config.max_preauth_bytes} bytes, the most an endpoint that takes "
                 "no files reads (max_preauth_bytes)")
    return BodyLimits(config.max_preauth_bytes, too_large, config.max_preauth_bytes,
                      min(config.max_field_bytes, config.max_preauth_bytes), config.max_files_per_request,
                      config.body_idle_timeout_seconds)


async def read_params(
    request: Request,
    context: ServerContext,
    file_fields: tuple[str, ...] = (FILES_FIELD,),
    *,
    admit: Gate,
    named_files: bool = False,
) -> RequestParams:
    """Collect query parameters, form fields and uploaded files, enforcing the upload limits.

    File parts named in ``file_fields`` (``sqlfiles`` for jobs; ``sqlfile`` for the generation
    endpoints) become ``files``; other file parts are read and dropped. An endpoint with no
    ``file_fields`` reads at most ``max_preauth_bytes``. ``admit`` (:func:`token_gate`,
    :func:`key_gate`) lets the caller send more than ``max_preauth_bytes``; the endpoint still
    authenticates the fields it was given. ``named_files``: spooled files have a path an analysis
    process can open (:meth:`SpooledUpload.for_analysis`).
    """
    config = context.config
    params = RequestParams(fields=dict(request.query_params), authorization=request.headers.get("authorization", ""))
    resources = request_resources(request)
    reader = BodyReader(params.fields, params.files, file_fields, _limits(config, bool(file_fields)),
                        lambda final: admit(params, final), lambda upload: resources.callback(upload.close),
                        named=named_files)
    declared = request.headers.get("content-length", "")
    length = int(declared) if declared.isdigit() else None
    try:
        if file_fields and length is not None and length > config.max_upload_bytes:
            raise _too_large(config.max_upload_bytes)
        reader.admitted = admit(params, False)  # from the query string and the Authorization header
        if file_fields and (length is None or length > MEMORY_BYTES):
            resources.enter_context(context.uploads.slot(config.max_concurrent_uploads))
        await reader.read(request)
    except Rejection as exc:
        if not reader.complete:  # the rest of the body is never read: the connection cannot serve another request
            exc.headers = {"Connection": "close", **(exc.headers or {})}
        raise
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
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:  # "²".isdigit(), int("²") fails
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
