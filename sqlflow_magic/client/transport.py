"""One HTTP exchange with bounded, safe retries, and network failures as typed errors."""

from __future__ import annotations

import io
import logging
import ssl
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import httpx

from .._version import __version__
from . import errors
from .answers import retry_after_seconds
from .models import UploadFile
from .settings import ClientSettings

log = logging.getLogger("sqlflow_magic")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A gateway's 502/504 may come after the backend created the job: never resend a submit then.
SUBMIT_RETRY_STATUSES = frozenset({429, 503})
MAX_BACKOFF_SECONDS = 30.0
#: Uploads larger than this go as a stream of 64 KiB pieces (memory: ``benchmarks/big_cell.py``).
STREAMED_FROM_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One POST: the path below the base URL, its form fields and files."""

    path: str
    fields: dict[str, str]
    files: tuple[UploadFile, ...] = ()
    creates_job: bool = False

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


def build_http_client(settings: ClientSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The ``httpx.Client`` for ``settings``: timeouts, TLS verification, proxies from the environment."""
    verify: ssl.SSLContext | bool = True
    if settings.ca_bundle:
        try:
            verify = ssl.create_default_context(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise errors.ConfigurationError(
                f"cannot read the CA bundle {settings.ca_bundle!r}: {exc.__class__.__name__}",
                hint="Point ca_bundle at a PEM file of trusted certificates",
            ) from None
    timeout = httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                            write=settings.read_timeout, pool=settings.connect_timeout)
    return httpx.Client(
        base_url=settings.base_url + "/", timeout=timeout, verify=verify, trust_env=True,
        transport=transport, headers={"User-Agent": f"sqlflow-magic/{__version__} httpx/{httpx.__version__}"},
    )


class Sender:
    """Sends :class:`Call` objects, retrying only where it is safe, and maps network failures to errors."""

    def __init__(self, http: httpx.Client, settings: ClientSettings,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = http
        self._settings = settings
        self._sleep = sleep

    def send(self, call: Call) -> httpx.Response:
        """POST ``call``; retries a bounded number of times on connect failures and 429/502/503/504."""
        retry_statuses = SUBMIT_RETRY_STATUSES if call.creates_job else RETRY_STATUSES
        attempt = 0
        while True:
            delay: float | None = None
            try:
                response = self._post(call)
            except httpx.ConnectError as exc:
                if _is_dns_failure(exc) or attempt >= self._settings.max_retries:
                    raise self._unreachable(exc) from None
            except httpx.ConnectTimeout:
                if attempt >= self._settings.max_retries:
                    raise errors.ServerUnreachableError(
                        f"connecting to {self._where()} timed out after {self._settings.connect_timeout:g} s"
                    ) from None
            except httpx.TimeoutException:
                raise self._lost_answer(call, "timed out waiting for the answer") from None
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                raise self._lost_answer(call, f"the connection broke ({type(exc).__name__})") from None
            else:
                if response.status_code not in retry_statuses or attempt >= self._settings.max_retries:
                    return response
                delay = retry_after_seconds(response)
            attempt += 1
            backoff = self._settings.backoff_seconds * 2 ** (attempt - 1)
            wait = min(MAX_BACKOFF_SECONDS, backoff if delay is None else max(delay, backoff))
            log.info("retrying %s in %.1f s (attempt %d)", call.path, wait, attempt + 1)
            self._sleep(wait)

    def _post(self, call: Call) -> httpx.Response:
        log.debug("POST %s", call.path)
        streamed = sum(upload.size for upload in call.files) > STREAMED_FROM_BYTES
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
            return self._http.post(call.path, data=call.fields, files=parts or None)

    def _where(self) -> str:
        return display_url(self._settings.base_url)

    def _unreachable(self, exc: httpx.ConnectError) -> errors.ServerUnreachableError:
        host = httpx.URL(self._settings.base_url).host
        if _is_dns_failure(exc):
            return errors.ServerUnreachableError(
                f"cannot resolve the host name {host!r}", hint="Check the spelling of the base URL's host and your DNS"
            )
        return errors.ServerUnreachableError(f"cannot connect to {self._where()} (connection refused)")

    def _lost_answer(self, call: Call, what: str) -> errors.TransportError:
        if call.creates_job:
            return errors.SubmitOutcomeUnknownError(f"the submit to {self._where()} {what}")
        message = f"{call.action} at {self._where()} {what}"
        if "timed out" in what:
            return errors.RequestTimeoutError(message)
        return errors.ConnectionBrokenError(message)


def display_url(url: str) -> str:
    """``url`` without any user:password part, fit to show."""
    if "@" not in url:
        return url
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else url


def _is_dns_failure(exc: httpx.ConnectError) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                   "temporary failure in name resolution", "no address associated"))
