"""A plain Python client for the SQLFlow job API. It knows nothing of IPython.

>>> from sqlflow_magic.client import SQLFlowClient
>>> from sqlflow_magic.client.settings import ClientSettings
>>> from sqlflow_magic.client.models import SubmitRequest, UploadFile
>>> with SQLFlowClient(ClientSettings("http://HOST:8165", user_id="me", secret_key=KEY)) as client:
...     job = client.submit_persist_job(SubmitRequest("dbvoracle", (UploadFile.from_text(sql),)))
...     client.job_summary(job.job_id).status
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import httpx

from ..protocol import ON_PREMISE_TOKEN
from . import errors
from .answers import check_answer, parse_json, retry_after_seconds
from .kept_connection import ConnectionKeeper
from .models import SERVER_DEFAULTS, Job, LineageOptions, SubmitRequest
from .scrubbing import Scrubber, url_credentials
from .secrets import Secret
from .settings import ClientSettings
from .transport import MAX_CONNECTIONS, Call, Sender, build_http_client

T = TypeVar("T")

"""The literal token the official clients send for the on-premise 5.x user."""
#: Keys of a lineage JSON that comes without SQLFlow's ``{"code", "data"}`` around it.
LINEAGE_KEYS = frozenset({"sqlflow", "dbobjs", "relationships", "relations", "relationship"})


@dataclass(frozen=True)
class JobList:
    """The answer of ``displayUserJobsSummary``."""

    total: int
    success: int
    partial_success: int
    fail: int
    jobs: tuple[Job, ...]


class SQLFlowClient:
    """Talks to one SQLFlow server with one ``httpx.Client``.

    Tokens are fetched with the secret key, cached in memory, and renewed once when the server
    says a token is invalid or expired (code 403). Every answer is checked: HTTP status and the
    body's ``code``. Failures raise subclasses of :class:`~sqlflow_magic.client.errors.SQLFlowError`.

    What the client hands back is scrubbed (:attr:`scrubber`) of every secret it knows (its secret key,
    each token it used, each database password it sent, the credentials of its base URL), in every
    encoded form, and of anything shown as a credential: error messages, jobs (``errorMessage``,
    ``errors``, names: every string of the server's answer) and lineage exports.
    """

    def __init__(self, settings: ClientSettings, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        # with a transport of its own (tests) a client keeps no connection: two clients would share it
        if transport is None:  # the keeping client's one connection counts against MAX_CONNECTIONS
            fresh = build_http_client(settings, connections=MAX_CONNECTIONS - 1)
            self._connections = ConnectionKeeper(fresh, lambda: build_http_client(settings, keep=True, connections=1))
        else:
            self._connections = ConnectionKeeper(build_http_client(settings, transport), None)
        self._sender = Sender(self._connections, settings, sleep)
        self._token: Secret | None = settings.token
        self._token_lock = threading.Lock()
        self._known = {secret for secret in (settings.secret_key, settings.token) if secret}
        self._known |= {Secret(part) for part in url_credentials(settings.base_url)}
        self._scrubber: Scrubber | None = None

    def __repr__(self) -> str:
        return f"SQLFlowClient(base_url={self.settings.base_url!r})"

    def __enter__(self) -> SQLFlowClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._connections.close()

    # --- scrubbing --------------------------------------------------------------------------

    @property
    def scrubber(self) -> Scrubber:
        """Masks every secret this client knows, in every form (built again when it learns a new one)."""
        with self._token_lock:
            if self._scrubber is None:
                self._scrubber = Scrubber(self._known)
            return self._scrubber

    def scrub(self, text: str) -> str:
        """``text`` with every secret this client knows, and any credential, masked: for what is shown."""
        return self.scrubber(text)

    def _remember(self, secret: Secret | None) -> None:
        """A secret sent or received from now on (a token, a database password) is scrubbed too."""
        with self._token_lock:
            if secret and secret not in self._known:
                self._known.add(secret)
                self._scrubber = None

    def _send(self, call: Call) -> httpx.Response:
        """Send ``call``; a network error quotes what a proxy or server said, so it is scrubbed too."""
        try:
            return self._sender.send(call)
        except errors.SQLFlowError as exc:
            raise _scrubbed(exc, self.scrub) from None

    # --- authentication ---------------------------------------------------------------------

    def generate_token(self) -> Secret:
        """Ask ``/user/generateToken`` for a token with the user id and secret key, and cache it."""
        if self.settings.secret_key is None:
            raise errors.ConfigurationError(
                "a secret key is needed to get a SQLFlow token",
                hint="Set SQLFLOW_SECRET_KEY, run %sqlflow_login, or give a token in SQLFLOW_TOKEN",
            )
        call = Call("user/generateToken", {"userId": self.settings.user_id, "secretKey": self.settings.secret_key})
        body = self._checked_json(self._send(call), call.action)
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise errors.BadResponseError(f"{call.action}: the answer has no token")
        self._remember(Secret(token))
        with self._token_lock:
            self._token = Secret(token)
        return self._token

    def _auth_fields(self) -> dict[str, str | Secret]:
        if not self.settings.needs_token and self._token is None:
            return {"userId": self.settings.user_id, "token": ON_PREMISE_TOKEN}
        return {"userId": self.settings.user_id, "token": self._token or self.generate_token()}

    def _authorized(self, call: Call) -> dict[str, Any]:
        """Send ``call`` with credentials and return its checked JSON body, scrubbed."""
        body = self._with_credentials(call, lambda response: self._checked_json(response, call.action))
        return self.scrubber.data(body)

    def _with_credentials(self, call: Call, handle: Callable[[httpx.Response], T]) -> T:
        """Send ``call`` with credentials; on a 403 renew the token once and send it again.

        A 403 means the server refused before doing anything, so resending a submit is safe.
        """
        for renewed in (False, True):
            response = self._send(replace(call, fields={**call.fields, **self._auth_fields()}))
            try:
                return handle(response)
            except errors.TokenExpiredError:
                if renewed or self.settings.secret_key is None:
                    raise
                with self._token_lock:
                    self._token = None
        raise AssertionError("unreachable")

    def _checked_json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        return check_answer(response, parse_json(response, what=what), what=what, scrub=self.scrub,
                            user_id=self.settings.user_id)

    # --- jobs -------------------------------------------------------------------------------

    def submit_persist_job(self, request: SubmitRequest) -> Job:
        """``submitPersistJob``: create a job (no ``job_id``) or add files to one."""
        return self._submit("sqlflow/job/submitPersistJob", request)

    def submit_user_job(self, request: SubmitRequest) -> Job:
        """``submitUserJob``: a one-off job; ``job_name`` is required."""
        if not request.job_name:
            raise errors.ConfigurationError("submitUserJob needs a job name", hint="Give job_name")
        return self._submit("sqlflow/job/submitUserJob", request)

    def _submit(self, path: str, request: SubmitRequest) -> Job:
        if not request.files:
            raise errors.InputError("nothing to submit: no SQL file", hint="Give SQL text or a file")
        fields: dict[str, str | Secret] = {**request.form_fields(reveal_secrets=False)}
        if request.password is not None:
            fields["password"] = request.password  # revealed only as it is sent
            self._remember(request.password)
        call = Call(path, fields, request.files, creates_job=True)
        return _job_from(self._authorized(call), call.action)

    def job_summary(self, job_id: str, *, hold: float = 0.0) -> Job:
        """``displayUserJobSummary`` for one job; a ``Retry-After`` of the answer is its ``retry_after``.

        ``hold`` seconds (whole milliseconds, sent as ``waitMillis``): a local server answers once the job
        is final or after that long; SQLFlow ignores the field and answers at once (``client/waiting.py``)."""
        fields: dict[str, str | Secret] = {"jobId": job_id}
        if hold > 0:
            fields["waitMillis"] = str(int(hold * 1000))
        call = Call("sqlflow/job/displayUserJobSummary", fields)

        def summary_of(response: httpx.Response) -> Job:
            job = _job_from(self.scrubber.data(self._checked_json(response, call.action)), call.action)
            delay = retry_after_seconds(response)
            return job if delay is None else replace(job, retry_after=delay)

        return self._with_credentials(call, summary_of)

    def jobs_summary(self) -> JobList:
        """``displayUserJobsSummary``: every job of the user, with counts."""
        body = self._authorized(Call("sqlflow/job/displayUserJobsSummary", {}))
        data = body.get("data") or {}
        details = data.get("jobDetails") or []
        return JobList(
            total=int(data.get("total") or len(details)), success=int(data.get("success") or 0),
            partial_success=int(data.get("partialSuccess") or 0), fail=int(data.get("fail") or 0),
            jobs=tuple(Job.from_api(d) for d in details if isinstance(d, dict)),
        )

    def delete_job(self, job_id: str) -> Job:
        """``deleteUserJob``: the answer is the job with status ``delete``."""
        call = Call("sqlflow/job/deleteUserJob", {"jobId": job_id})
        return _job_from(self._authorized(call), call.action)

    # --- lineage ----------------------------------------------------------------------------

    def export_lineage_json(self, job_id: str, options: LineageOptions = SERVER_DEFAULTS, *,
                            full: bool = True) -> dict[str, Any]:
        """``exportFullLineageAsJson`` (or ``exportLineageAsJson`` with ``full=False``), checked.

        ``options`` are SQLFlow's display settings; what they leave out, the server decides (``fdd`` only).
        """
        name = "exportFullLineageAsJson" if full else "exportLineageAsJson"
        call = Call(f"sqlflow/job/{name}", {"jobId": job_id, **options.form_fields()})

        def lineage_of(response: httpx.Response) -> dict[str, Any]:
            body = parse_json(response, what=call.action)
            if response.status_code < 400 and "code" not in body and LINEAGE_KEYS & body.keys():
                return body  # the lineage alone, without SQLFlow's answer around it (as SQLFlow's documents show it)
            return check_answer(response, body, what=call.action, scrub=self.scrub, user_id=self.settings.user_id)

        return self.scrubber.data(self._with_credentials(call, lineage_of))

    def export_lineage_csv(self, job_id: str, options: LineageOptions = SERVER_DEFAULTS, *,
                           delimiter: str = ",") -> str:
        """``exportFullLineageAsCsv``: the CSV text (an error body raises instead)."""
        fields = {"jobId": job_id, "delimiter": delimiter, **options.form_fields()}
        return self._export_text(Call("sqlflow/job/exportFullLineageAsCsv", fields))

    def export_lineage_graphml(self, job_id: str, options: LineageOptions = SERVER_DEFAULTS) -> str:
        """``exportLineageAsGraphml``: the GraphML text (an error body raises instead)."""
        return self._export_text(Call("sqlflow/job/exportLineageAsGraphml", {"jobId": job_id, **options.form_fields()}))

    def _export_text(self, call: Call) -> str:
        def text_of(response: httpx.Response) -> str:
            _refuse_error_body(response, call.action, self.scrub, self.settings.user_id)
            return response.text

        return self.scrub(self._with_credentials(call, text_of))


def _job_from(body: dict[str, Any], what: str) -> Job:
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("jobId"):
        raise errors.BadResponseError(f"{what}: the answer has no job in its data")
    return Job.from_api(data)


def _scrubbed(error: errors.SQLFlowError, scrub: Callable[[str], str]) -> errors.SQLFlowError:
    error.message, error.hint = scrub(error.message), scrub(error.hint)
    error.args = (str(error),)
    return error


def _refuse_error_body(response: httpx.Response, what: str, scrub: Callable[[str], str], user_id: str) -> None:
    """An export's body is the export itself, unless it is an error JSON: refuse that one."""
    text = response.text.lstrip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and "code" in body:
            check_answer(response, body, what=what, scrub=scrub, user_id=user_id)
            return
    if response.status_code >= 400:
        check_answer(response, {}, what=what, scrub=scrub, user_id=user_id)
    if text.startswith("<!") or text[:5].lower() == "<html":
        raise errors.BadResponseError(f"{what}: the server answered an HTML page instead of the export")
