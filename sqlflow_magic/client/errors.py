"""The exceptions of sqlflow-magic. Each says what went wrong and what to do about it.

In IPython each renders as one line (``_render_traceback_``), under ``%xmode Verbose`` too, and the cell
fails, so that nbval, nbclient and papermill notice. Every exception httpx raises is turned into one of
these (``client/transport.py``), so that no traceback shows a request's frames::

    SQLFlowError
    ├── ConfigurationError
    ├── InputError
    ├── TransportError
    │   ├── ServerUnreachableError
    │   │   ├── ProxyRefusedError
    │   │   └── TLSError
    │   ├── RequestTimeoutError
    │   │   └── RequestDeadlineError
    │   ├── ConnectionBrokenError
    │   ├── SubmitOutcomeUnknownError
    │   └── BadResponseError
    │       └── AnswerTooLargeError
    ├── APIError
    │   ├── AuthenticationError, TokenExpiredError, EndpointNotFoundError, JobNotFoundError
    │   ├── JobNotReadyError, IncompatibleJobError, LicenseError, PremiumAccountError
    │   └── RateLimitedError, ServerError, RequestRejectedError
    ├── JobFailedError
    ├── JobPartiallyAnalysedError
    └── WaitTimeoutError, WaitInterruptedError (in client/waiting.py)

    KeyboardInterrupt
    └── CallInterrupted: Ctrl-C while a call was on its way, without the frames that held its secrets
"""

from __future__ import annotations


class SQLFlowError(Exception):
    """Base class: ``message`` says what went wrong, ``hint`` what to do."""

    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = self.default_hint if hint is None else hint
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class CallInterrupted(KeyboardInterrupt):
    """Ctrl-C while a call was on its way: still a ``KeyboardInterrupt``, caught wherever one is.

    Raised in place of the interrupt that came from inside httpx, whose frames hold the request with the
    token and the database password in plain text (``%xmode Verbose`` would show them); one line in IPython.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self.message}"]


class ConfigurationError(SQLFlowError):
    """The settings cannot work: a malformed URL, missing or contradictory credentials."""


class InputError(SQLFlowError):
    """The SQL or files to send cannot be sent as they are (too big, not text, unreadable)."""


# --- the network -------------------------------------------------------------------------------


class TransportError(SQLFlowError):
    """The request did not get a usable answer from the server."""


class ServerUnreachableError(TransportError):
    """No connection could be made (refused, DNS failure, connect timeout)."""

    default_hint = "Check the base URL (%sqlflow_config) and that the server is running and reachable"


class TLSError(ServerUnreachableError):
    """The TLS handshake failed: a certificate that cannot be verified, or no TLS where it was expected."""

    default_hint = ("For a private certificate authority, set SQLFlowMagics.ca_bundle (or SSL_CERT_FILE) to its "
                    "PEM file; check that the base URL's scheme (https://) and port are the server's")


class ProxyRefusedError(ServerUnreachableError):
    """The proxy between the client and the server refused the request (e.g. 407: it wants credentials)."""

    default_hint = ("Check HTTPS_PROXY / HTTP_PROXY (a proxy's credentials go in its URL), "
                    "or add the server's host to NO_PROXY")


class RequestTimeoutError(TransportError):
    """The server took longer than the read timeout to answer."""

    default_hint = "Try again, or raise SQLFlowMagics.read_timeout"


class RequestDeadlineError(RequestTimeoutError):
    """The whole call (connect, send, the complete answer, retries) took longer than ``request_deadline``."""

    default_hint = ("Try again; if the server is just slow, raise SQLFlowMagics.request_deadline "
                    "(or SQLFLOW_REQUEST_DEADLINE)")


class ConnectionBrokenError(TransportError):
    """The connection broke before the answer was complete (a reset, a proxy hanging up)."""

    default_hint = "Try again; if it keeps happening, check the network path to the server (proxies, VPN)"


class SubmitOutcomeUnknownError(TransportError):
    """A submit was sent but its answer was lost: the job may or may not exist. Never re-sent silently."""

    default_hint = (
        "The job may have been created: look for it with %sqlflow_jobs before you submit again"
    )


class BadResponseError(TransportError):
    """The answer was not SQLFlow's JSON (e.g. a proxy's HTML error page)."""

    default_hint = "Check that the base URL points at SQLFlow's /gspLive_backend prefix (%sqlflow_config)"


class AnswerTooLargeError(BadResponseError):
    """The answer was larger than ``max_answer_bytes``: refused while it arrived, never held whole."""

    default_hint = ("If the answer is genuine (a very big job's lineage), raise SQLFlowMagics.max_answer_bytes "
                    "(or SQLFLOW_MAX_ANSWER_BYTES)")


# --- SQLFlow said no ---------------------------------------------------------------------------


class APIError(SQLFlowError):
    """SQLFlow answered with an error ``code`` in its JSON body."""

    def __init__(self, message: str, *, code: int | None, hint: str | None = None) -> None:
        self.code = code
        super().__init__(message, hint=hint)


class AuthenticationError(APIError):
    """401: missing or invalid userId / secret key."""

    default_hint = (
        "Check SQLFLOW_USER_ID and the secret key (set SQLFLOW_SECRET_KEY or run %sqlflow_login)"
    )


class TokenExpiredError(APIError):
    """403: the token is invalid or expired and could not be renewed."""

    default_hint = "Give a secret key (SQLFLOW_SECRET_KEY or %sqlflow_login) so the token can be renewed"


class EndpointNotFoundError(APIError):
    """HTTP 404: the server has no such path, so the base URL or the server version is wrong."""

    default_hint = "Check that the base URL is SQLFlow's /gspLive_backend prefix (%sqlflow_config)"


class JobNotFoundError(APIError):
    """The job does not exist or belongs to another user."""

    default_hint = "Check the jobId; %sqlflow_jobs lists your jobs"


class JobNotReadyError(APIError):
    """409: the job has no lineage yet (still ``create`` or ``process``)."""

    default_hint = "Wait for it: add --wait, or follow it with %sqlflow_status --wait"


class IncompatibleJobError(APIError):
    """410: the job was made by an incompatible SQLFlow version."""

    default_hint = "Submit the SQL again as a new job (omit --job-id)"


class LicenseError(APIError):
    """411-417: a licence problem on the SQLFlow server."""

    default_hint = "Ask the SQLFlow server's administrator to check its licence"


class PremiumAccountError(APIError):
    """426: the call needs a premium account."""

    default_hint = "This feature needs a premium SQLFlow account"


class RateLimitedError(APIError):
    """429: too many requests (or, from the local server, too many of the user's jobs queued).

    Raised after the bounded retries, or at once when the server's ``Retry-After`` is longer than a
    retry would wait; the hint then says how long the server asks to wait."""

    default_hint = "Wait as the message says, then run the cell again"


class ServerError(APIError):
    """The server failed (HTTP 5xx or an unknown error code)."""

    default_hint = "Try again later; if it persists, check the server's logs"


class RequestRejectedError(APIError):
    """The server refused the request's content (a bad field, a limit)."""

    default_hint = "Fix the request as the message says"


# --- the job itself ------------------------------------------------------------------------------


class JobFailedError(SQLFlowError):
    """A followed job (``--wait``) ended in ``fail``; the jobId stays saved."""

    default_hint = "Fix the SQL (the panel shows the error) and submit again; the jobId is saved in sqlflow_job_id"


class JobPartiallyAnalysedError(SQLFlowError):
    """``--strict``: a followed job ended in ``partial_success``; the jobId stays saved."""

    default_hint = "Fix the statements listed under Problems, or leave out --strict to accept a partial success"
