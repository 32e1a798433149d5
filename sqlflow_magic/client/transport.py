"""One HTTP exchange with bounded, safe retries, within a deadline and a size cap; network failures as typed errors.

Every exception httpx raises becomes one of the package's one-line errors (``tests/faults/test_httpx_errors.py``
makes each class httpx defines), so that no traceback, not even under ``%xmode Verbose``, shows the frames
of a request. A :class:`Call` holds its secrets as :class:`Secret`; they are revealed only in ``_post``.

Each call has a total deadline (``request_deadline``, ``client/deadline.py``) and its answer a size cap
(``max_answer_bytes``, ``client/answer_reading.py``): a hostile or broken server can neither hold a call
nor fill the kernel's memory. The client keeps one idle connection for a second, handed to the next
call's deadline with it (``client/kept_connection.py``), so that the deadline can end the connection a
call is using whether it is new or kept.
"""

from __future__ import annotations

import io
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass

import httpx

from .._version import __version__
from . import errors
from .answer_reading import ACCEPT_ENCODING, AnswerTooLarge, UnsupportedEncoding, read_answer
from .answers import retry_after_seconds
from .deadline import Deadline, DeadlinePassed
from .kept_connection import KEEP_SECONDS, ConnectionKeeper
from .models import UploadFile
from .secrets import Secret, display_url
from .settings import ClientSettings
from .tls import trusted_certificates

__all__ = ["ACTIONS", "MAX_CONNECTIONS", "Call", "Sender", "build_http_client", "display_url"]

log = logging.getLogger("sqlflow_magic")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A gateway's 502/504 may come after the backend created the job: never resend a submit then.
SUBMIT_RETRY_STATUSES = frozenset({429, 503})
MAX_BACKOFF_SECONDS = 30.0
#: Connections one client has open at most (its calls in threads at once); httpx's own default.
MAX_CONNECTIONS = 100
#: Uploads larger than this go as a stream of 64 KiB pieces (memory: ``benchmarks/big_cell.py``).
STREAMED_FROM_BYTES = 1024 * 1024
#: Bodies with at most this much upload are encoded whole before they are sent: httpx writes a multipart
#: body piece by piece, one socket write per field's header, value and line end (22 for a cell), and each
#: write to a server on this machine wakes it (``benchmarks/submit_overhead.py`` measures both).
SENT_WHOLE_UP_TO = 64 * 1024


@dataclass(frozen=True)
class Call:
    """One POST: the path below the base URL, its form fields (secrets as :class:`Secret`) and files."""

    path: str
    fields: Mapping[str, str | Secret]
    files: tuple[UploadFile, ...] = ()
    creates_job: bool = False

    @property
    def upload_bytes(self) -> int:
        return sum(upload.size for upload in self.files)

    @property
    def action(self) -> str:
        """What the call does, as an error says it: "Reading the job's status: SQLFlow answered code 404: ..."."""
        endpoint = self.path.rsplit("/", 1)[-1]
        return ACTIONS.get(endpoint, endpoint)


#: Each endpoint's call, in the words of the person who made it (errors name it, not the endpoint).
ACTIONS = {
    "generateToken": "Getting a token", "submitPersistJob": "Submitting the SQL", "submitUserJob": "Submitting the SQL",
    "displayUserJobSummary": "Reading the job's status", "displayUserJobsSummary": "Listing your jobs",
    "deleteUserJob": "Deleting the job", "exportFullLineageAsJson": "Fetching the lineage",
    "exportLineageAsJson": "Fetching the lineage", "exportFullLineageAsCsv": "Fetching the lineage as CSV",
    "exportLineageAsGraphml": "Fetching the lineage as GraphML",
}


def build_http_client(settings: ClientSettings, transport: httpx.BaseTransport | None = None, *,
                      keep: bool = False, connections: int = MAX_CONNECTIONS) -> httpx.Client:
    """The ``httpx.Client`` for ``settings``: timeouts, TLS verification (``client/tls.py``), proxies from the
    environment.

    No connection is kept once its answer is read (``max_keepalive_connections=0``), unless ``keep``:
    then one, for :data:`~sqlflow_magic.client.kept_connection.KEEP_SECONDS`. Only a
    :class:`~sqlflow_magic.client.kept_connection.ConnectionKeeper` uses a keeping client, one call at a
    time, so that each call's deadline knows the sockets it may shut (``client/deadline.py``). At most
    ``connections`` are open at once (a call past them waits ``connect_timeout`` for one).
    """
    verify = trusted_certificates(settings.ca_bundle)
    timeout = httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                            write=settings.read_timeout, pool=settings.connect_timeout)
    base_url, auth = _without_userinfo(settings.base_url + "/")
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=1 if keep else 0,
                          keepalive_expiry=KEEP_SECONDS)
    try:
        return httpx.Client(
            base_url=base_url, auth=auth, timeout=timeout, verify=verify, trust_env=True,
            transport=transport, limits=limits,
            headers={"User-Agent": f"sqlflow-magic/{__version__} httpx/{httpx.__version__}",
                     "Accept-Encoding": ACCEPT_ENCODING},
        )
    except (httpx.InvalidURL, ValueError, ImportError) as exc:  # a proxy URL httpx cannot use; a bad URL
        raise errors.ConfigurationError(
            f"cannot send to {display_url(settings.base_url)} with the proxy settings of the environment "
            f"({type(exc).__name__})",
            hint="Check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY (an http://, https:// or socks5:// URL; socks5 needs "
                 "httpx[socks]) and the base URL",
        ) from None


def _without_userinfo(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """The base URL without its ``user:password@`` and those credentials as HTTP Basic authentication.

    httpx would send the same header from the URL itself, but it also logs every request's URL (INFO),
    and the URL would carry the password into the notebook's log."""
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return url, None
    return str(parsed.copy_with(userinfo=b"")), httpx.BasicAuth(parsed.username, parsed.password)


class Sender:
    """Sends :class:`Call` objects, retrying only where it is safe, and maps network failures to errors."""

    def __init__(self, http: httpx.Client | ConnectionKeeper, settings: ClientSettings,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._keeper = http if isinstance(http, ConnectionKeeper) else ConnectionKeeper(http, None)
        self._settings = settings
        self._sleep = sleep

    def send(self, call: Call) -> httpx.Response:
        """POST ``call`` and read its answer, within ``request_deadline`` and ``max_answer_bytes``.

        Retries a bounded number of times on connect failures and 429/502/503/504, while the deadline
        leaves time for the pause and another try.
        """
        retry_statuses = SUBMIT_RETRY_STATUSES if call.creates_job else RETRY_STATUSES
        with Deadline(self._settings.request_deadline, call.upload_bytes) as deadline, \
                self._keeper.client_for(deadline) as http:
            attempt = 0
            while True:
                if deadline.passed:  # only after a pause: nothing of this attempt is sent yet
                    raise self._past_deadline(call, deadline, sent=False)
                try:
                    response = self._post(http, call, deadline)
                except KeyboardInterrupt:
                    raise self._interrupted(call) from None
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    if deadline.passed:  # nothing reached the server
                        raise self._past_deadline(call, deadline, sent=False) from None
                    final = _is_dns_failure(exc) or _tls_failure(exc) is not None  # another try would fail alike
                    wait = None if final else self._next_wait(attempt, None, deadline)
                    if wait is None:
                        raise self._unreachable(exc) from None
                except (AnswerTooLarge, UnsupportedEncoding) as exc:
                    raise self._refused(call, exc) from None
                except (httpx.HTTPError, DeadlinePassed) as exc:
                    if isinstance(exc, DeadlinePassed) or deadline.passed:
                        # Waiting for a free connection, or a proxy refusing the tunnel: nothing was sent.
                        sent = not isinstance(exc, (httpx.PoolTimeout, httpx.ProxyError))
                        raise self._past_deadline(call, deadline, sent=sent) from None
                    raise self._failure(call, exc) from None
                except Exception as exc:
                    # Not a network failure: a bug here or in httpx. Its own frames would show the fields with
                    # their secrets revealed (%xmode Verbose), so it goes on with a traceback that starts here.
                    raise exc.with_traceback(None) from None
                else:
                    if response.status_code == 407:  # a proxy's answer to a plain-HTTP request
                        raise errors.ProxyRefusedError(
                            f"a proxy answered 407 Proxy Authentication Required instead of {self._where()}")
                    if response.status_code not in retry_statuses:
                        return response
                    wait = self._next_wait(attempt, retry_after_seconds(response), deadline)
                    if wait is None:
                        return response
                attempt += 1
                log.info("retrying %s in %.1f s (attempt %d)", call.path, wait, attempt + 1)
                self._sleep(wait)

    def _next_wait(self, attempt: int, delay: float | None, deadline: Deadline) -> float | None:
        """The pause before retry ``attempt + 1``, or None when the retries or the deadline are used up.

        None too when the server's own ``delay`` (Retry-After) is longer than any pause here: a retry
        sooner than the server asks would only be refused again, and a longer one would hold the cell."""
        if delay is not None and delay > MAX_BACKOFF_SECONDS:
            return None
        backoff = self._settings.backoff_seconds * 2 ** attempt
        wait = min(MAX_BACKOFF_SECONDS, backoff if delay is None else max(delay, backoff))
        return wait if attempt < self._settings.max_retries and wait < deadline.left() else None

    def _post(self, http: httpx.Client, call: Call, deadline: Deadline) -> httpx.Response:
        log.debug("POST %s", call.path)
        streamed = call.upload_bytes > STREAMED_FROM_BYTES
        with ExitStack() as stack:
            parts = []
            for upload in call.files:
                body = upload.open(stack)
                if isinstance(body, bytes) and streamed:
                    # Sent as a stream, in 64 KiB pieces: httpx writes a bytes part in one piece, and
                    # httpcore re-slices what is left after every partial socket send, which for a 50 MiB
                    # cell meant 1.8x its size more memory and ~270 MiB of copying. BytesIO shares the bytes.
                    body = io.BytesIO(body)
                parts.append(("sqlfiles", (upload.filename, body, upload.content_type())))
            fields = {name: value.reveal() if isinstance(value, Secret) else value
                      for name, value in call.fields.items()}
            timeout = deadline.timeout(self._settings.connect_timeout, self._settings.read_timeout)
            request = http.build_request("POST", call.path, data=fields, files=parts or None, timeout=timeout,
                                         extensions={"trace": deadline.trace})
            if call.upload_bytes <= SENT_WHOLE_UP_TO:
                request.read()  # encoded whole: one socket write instead of one per piece of the multipart body
            answer = http.send(request, stream=True)
            stack.callback(answer.close)
            return read_answer(answer, self._settings.max_answer_bytes, deadline)

    def _interrupted(self, call: Call) -> errors.CallInterrupted:
        """Ctrl-C during ``call``; a submit may have reached the server."""
        if call.creates_job:
            return errors.CallInterrupted(f"the submit to {self._where()} was interrupted; the job may have been "
                                          "created: look for it with %sqlflow_jobs before you submit again")
        return errors.CallInterrupted(f"{call.action} at {self._where()} was interrupted")

    def _past_deadline(self, call: Call, deadline: Deadline, *, sent: bool) -> errors.TransportError:
        """The one-line error of a call that ran out of time; ``sent``: the server may have acted on it."""
        budget = f"request_deadline ({deadline.describe()})"
        if call.creates_job and sent:
            return errors.SubmitOutcomeUnknownError(
                f"the submit to {self._where()} did not finish within {budget}",
                hint="The job may have been created: look for it with %sqlflow_jobs before you submit again; "
                     "if the server is just slow, raise SQLFlowMagics.request_deadline")
        return errors.RequestDeadlineError(f"{call.action} at {self._where()} did not finish within {budget}")

    def _refused(self, call: Call, exc: AnswerTooLarge | UnsupportedEncoding) -> errors.TransportError:
        """The one-line error of an answer refused as it arrived: too large, or in an encoding not asked for."""
        if isinstance(exc, UnsupportedEncoding):
            what = f"got an answer in Content-Encoding {str(exc)!r}, which it did not ask for ({ACCEPT_ENCODING})"
            if call.creates_job:
                return errors.SubmitOutcomeUnknownError(f"the submit to {self._where()} {what}")
            return errors.BadResponseError(f"{call.action} at {self._where()} {what}", hint=(
                "A proxy or the server changed the answer: try again, or bypass the proxy (NO_PROXY)"))
        cap = self._settings.max_answer_bytes
        declared = "" if exc.declared is None else f": it announced {_size(exc.declared)}"
        what = f"got an answer larger than max_answer_bytes ({_size(cap)}){declared}"
        if call.creates_job:
            return errors.SubmitOutcomeUnknownError(
                f"the submit to {self._where()} {what}",
                hint="The job may have been created: look for it with %sqlflow_jobs before you submit again; "
                     "raise SQLFlowMagics.max_answer_bytes if the answer is genuine")
        return errors.AnswerTooLargeError(f"{call.action} at {self._where()} {what}")

    def _where(self) -> str:
        return display_url(self._settings.base_url)

    def _unreachable(self, exc: httpx.ConnectError | httpx.ConnectTimeout) -> errors.ServerUnreachableError:
        if isinstance(exc, httpx.ConnectTimeout):
            return errors.ServerUnreachableError(
                f"connecting to {self._where()} timed out after {self._settings.connect_timeout:g} s")
        host = httpx.URL(self._settings.base_url).host
        tls = _tls_failure(exc)
        if tls is not None:
            return errors.TLSError(f"the TLS handshake with {self._where()} failed: {tls}")
        if _is_dns_failure(exc):
            return errors.ServerUnreachableError(
                f"cannot resolve the host name {host!r}", hint="Check the spelling of the base URL's host and your DNS"
            )
        return errors.ServerUnreachableError(f"cannot connect to {self._where()} (connection refused)")

    def _failure(self, call: Call, exc: httpx.HTTPError) -> errors.SQLFlowError:
        """The one-line error for any httpx exception but a connect failure (retried in :meth:`send`)."""
        if isinstance(exc, httpx.ProxyError):  # a CONNECT the proxy refused: nothing reached the server
            return errors.ProxyRefusedError(f"the proxy refused the connection to {self._where()} ({_reason(exc)})")
        if isinstance(exc, httpx.PoolTimeout):  # nothing was sent
            return errors.RequestTimeoutError(
                f"{call.action} at {self._where()} waited {self._settings.connect_timeout:g} s for a free connection",
                hint="Too many calls are running at once in this kernel: let them finish, then try again")
        if isinstance(exc, httpx.UnsupportedProtocol):
            return errors.ConfigurationError(f"httpx cannot send to {self._where()}: its scheme is not supported",
                                             hint="Use an http:// or https:// base URL")
        if isinstance(exc, httpx.DecodingError):
            what = "got an answer whose body does not match its Content-Encoding"
            if not call.creates_job:
                return errors.BadResponseError(f"{call.action} at {self._where()} {what}", hint=(
                    "A proxy or the server garbled the answer: try again, or bypass the proxy (NO_PROXY)"))
            return self._lost_answer(call, what)
        if isinstance(exc, httpx.WriteTimeout):
            return self._lost_answer(call, "timed out sending the request")
        if isinstance(exc, httpx.TimeoutException):
            return self._lost_answer(call, "timed out waiting for the answer")
        if isinstance(exc, (httpx.NetworkError, httpx.ProtocolError)):
            return self._lost_answer(call, f"the connection broke ({type(exc).__name__})")
        return self._lost_answer(call, f"failed ({type(exc).__name__})")

    def _lost_answer(self, call: Call, what: str) -> errors.TransportError:
        if call.creates_job:
            return errors.SubmitOutcomeUnknownError(f"the submit to {self._where()} {what}")
        message = f"{call.action} at {self._where()} {what}"
        if "timed out" in what:
            return errors.RequestTimeoutError(message)
        return errors.ConnectionBrokenError(message)


def _size(count: int) -> str:
    """A byte count as a message says it: "256 MiB", "1.5 GiB", "4,096 bytes"."""
    if count < 1024 * 1024:
        return f"{count:,} bytes"
    if count < 1024 ** 3:
        return f"{count / 1024 ** 2:.4g} MiB"
    return f"{count / 1024 ** 3:.4g} GiB"


def _reason(exc: Exception) -> str:
    """The first line of an httpx message, cut short (a proxy's status line: "407 Proxy Authentication Required")."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 80 else text[:77] + "..."


def _tls_failure(exc: BaseException) -> str | None:
    """What the TLS layer said, if a TLS error caused ``exc`` (httpx chains the ``ssl`` exception as a cause)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return str(cause.reason or cause.strerror or type(cause).__name__).replace("_", " ").lower()
        cause = cause.__cause__ or cause.__context__
    return None


def _is_dns_failure(exc: httpx.ConnectError | httpx.ConnectTimeout) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                   "temporary failure in name resolution", "no address associated"))
