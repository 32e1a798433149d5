"""Sending OpenLineage events through ``openlineage-python``'s own configured transport.

The transport is configured the way the OpenLineage client always is, so that a user who already has
OpenLineage set up needs no new setting (in the client's order of precedence):

* ``OPENLINEAGE_DISABLED=true``: nothing is sent, and :func:`emit_events` says so (an error, never a
  silent success);
* an ``openlineage.yml`` file: the one ``OPENLINEAGE_CONFIG`` names, else ``./openlineage.yml``, else
  ``~/.openlineage/openlineage.yml``; any transport it describes (``http``, ``file``, ``console``,
  ``kafka``, ``composite``, ...);
* ``OPENLINEAGE__TRANSPORT__...`` environment variables (the client's nested form of the same file);
* ``OPENLINEAGE_URL`` (with ``OPENLINEAGE_ENDPOINT``, default ``api/v1/lineage``, and
  ``OPENLINEAGE_API_KEY``): HTTP to a Marquez, DataHub, OpenMetadata, ... lineage endpoint.

With none of these, :func:`emit_events` refuses to send (``OpenLineageNotConfiguredError``) rather than
fall back, as the client would, to logging the events where nobody looks.

Use from a script::

    from sqlflow_magic.openlineage import build_events, emit_events

    report = emit_events(build_events(lineage, job_id=job_id, job_name="nightly", db_vendor="dbvoracle"))
    print(report)                   # 7 of 7 OpenLineage events sent to http://marquez:5000/api/v1/lineage

Each event is handed to the transport in order. The first that fails stops the sending with an
:class:`OpenLineageEmitError` whose one line says how many were sent, which one failed and why (the
HTTP status and the start of the endpoint's answer), and which were not sent; events are never half sent
without saying which. Sending the same job again is safe: the events' run ids are derived from the job
and its statements, so a catalogue files the second sending under the same runs.

The API key is a secret: it never appears in a report, an error or anything this module shows, and the
errors are raised afresh, without the transport's exceptions (whose request objects hold the
``Authorization`` header) chained to them. Each event is sent as a copy, since the client adds its own
facets (tags, environment variables, source code location) to the event it is given.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..client.errors import CallInterrupted, ConfigurationError, SQLFlowError
from ..client.scrubbing import Scrubber, url_credentials
from ..client.secrets import display_url

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport import Transport

#: The client's own environment variables, in its order of precedence (the module's docstring).
ENV_DISABLED = "OPENLINEAGE_DISABLED"
ENV_CONFIG = "OPENLINEAGE_CONFIG"
ENV_URL = "OPENLINEAGE_URL"
ENV_ENDPOINT = "OPENLINEAGE_ENDPOINT"
ENV_API_KEY = "OPENLINEAGE_API_KEY"
ENV_NESTED_PREFIX = "OPENLINEAGE__TRANSPORT__"
INSTALL_HINT = "Install the extra: pip install 'sqlflow-magic[openlineage]'"
CONFIGURE_HINT = ("Set OPENLINEAGE_URL (and OPENLINEAGE_API_KEY if the endpoint wants one), or describe a "
                  "transport in openlineage.yml (docs/openlineage.md, \"Sending\")")
#: How much of an endpoint's refusal an error quotes.
ANSWER_EXCERPT = 200
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")
_ORDINAL = {1: "st", 2: "nd", 3: "rd"}


class OpenLineageNotInstalledError(ConfigurationError):
    """``openlineage-python`` is not installed (the ``openlineage`` extra)."""

    default_hint = INSTALL_HINT


class OpenLineageNotConfiguredError(ConfigurationError):
    """No OpenLineage transport is configured, or OpenLineage is disabled: nothing was sent."""

    default_hint = CONFIGURE_HINT


class OpenLineageEmitError(SQLFlowError):
    """An event could not be sent: ``sent`` were, ``failed`` was refused or not delivered, ``unsent`` were not
    tried. The message says all three in one line; nothing in it holds the API key."""

    default_hint = ("Fix the cause and send again: the run ids come from the job and its statements, so the "
                    "events already sent are not duplicated")

    def __init__(self, message: str, *, sent: tuple[EventOutcome, ...], failed: EventOutcome,
                 unsent: tuple[EventOutcome, ...]) -> None:
        self.sent, self.failed, self.unsent = sent, failed, unsent
        super().__init__(message)


@dataclass(frozen=True)
class EventOutcome:
    """One event: its place (1-based), what it is, and whether the transport took it."""

    number: int
    description: str
    sent: bool
    problem: str = ""


@dataclass(frozen=True)
class EmitReport:
    """What :func:`emit_events` sent, and where (``destination`` never shows credentials or the key)."""

    destination: str
    outcomes: tuple[EventOutcome, ...]

    @property
    def sent(self) -> int:
        return sum(outcome.sent for outcome in self.outcomes)

    def __str__(self) -> str:
        return f"{self.sent} of {len(self.outcomes)} OpenLineage events sent to {self.destination}"


def openlineage_client(env: Mapping[str, str] | None = None) -> OpenLineageClient:
    """``openlineage-python``'s client as its configuration describes it (the module's docstring).

    Raises :class:`OpenLineageNotInstalledError` without the extra, :class:`OpenLineageNotConfiguredError`
    when nothing is configured or OpenLineage is disabled, a :class:`ConfigurationError` when the client
    cannot use its configuration.
    """
    sources = configuration_sources(env)
    if sources == [ENV_DISABLED]:
        raise OpenLineageNotConfiguredError(f"OpenLineage is disabled ({ENV_DISABLED}=true): no event was sent",
                                            hint=f"Unset {ENV_DISABLED} to send events")
    if not sources:
        raise OpenLineageNotConfiguredError("OpenLineage is not configured: no event was sent")
    OpenLineageClient = _client_class()
    problem = ""
    try:
        client = OpenLineageClient()
    except Exception as exc:  # the client's own checks: a bad URL, a transport it does not know, a bad file
        problem = _one_line(f"{type(exc).__name__}: {exc}")
    if problem:  # raised here, outside the handler: nothing of the client's exception is chained
        raise ConfigurationError(f"the OpenLineage configuration ({', '.join(sources)}) cannot be used: "
                                 f"{Scrubber(_env_secrets(env))(problem)}", hint=CONFIGURE_HINT)
    return client


def emit_events(events: Sequence[Any], *, client: OpenLineageClient | None = None) -> EmitReport:
    """Send ``events`` (``RunEvent``/``JobEvent`` of ``openlineage.client.event_v2``) in order through
    ``client`` (default: :func:`openlineage_client`, closed afterwards), and say what was sent.

    The first event that fails stops the sending: :class:`OpenLineageEmitError` says which events were
    sent, which one failed and why, and which were not sent. Ctrl-C is a ``KeyboardInterrupt`` that says the
    same, raised without the transport's frames.
    """
    own = client is None
    client = openlineage_client() if client is None else client
    destination, scrub = describe_transport(client.transport), _scrubber_for(client.transport)
    outcomes: list[EventOutcome] = []
    problem, interrupted = "", False
    try:
        for number, event in enumerate(events, start=1):
            try:
                client.emit(copy.deepcopy(event))
            except KeyboardInterrupt:
                interrupted = True
            except Exception as exc:  # every transport fails its own way; each is told in one line
                problem = _problem(exc, scrub)
            outcomes.append(EventOutcome(number, describe_event(event), sent=not (problem or interrupted),
                                         problem=problem))
            if problem or interrupted:
                break
    finally:
        if own:
            client.close()
    if problem or interrupted:  # raised outside every handler: no exception of the transport is chained
        raise _failure(outcomes, [describe_event(e) for e in events[len(outcomes):]], destination, interrupted)
    return EmitReport(destination, tuple(outcomes))


def describe_event(event: Any) -> str:
    """``RunEvent COMPLETE of job NAMESPACE/NAME`` or ``JobEvent of job NAMESPACE/NAME``."""
    kind = type(event).__name__
    event_type = getattr(event, "eventType", None)
    shown = getattr(event_type, "value", event_type)
    job = getattr(event, "job", None)
    job_name = f"{getattr(job, 'namespace', '?')}/{getattr(job, 'name', '?')}" if job is not None else "?"
    return f"{kind} {shown} of job {job_name}" if shown else f"{kind} of job {job_name}"


def describe_transport(transport: Transport | None) -> str:
    """Where ``transport`` sends events, without credentials: ``http://host:5000/api/v1/lineage``,
    ``the file events.jsonl``, ``Kafka topic lineage``, ``the console (the openlineage logger)``."""
    if transport is None:
        return "no transport"
    kind = getattr(transport, "kind", None) or type(transport).__name__
    config = getattr(transport, "config", None)
    url = getattr(transport, "url", None)
    if kind == "http" and isinstance(url, str):
        return display_url(urljoin(url, str(getattr(transport, "endpoint", ""))))
    if kind == "file" and config is not None:
        return f"the file {getattr(config, 'log_file_path', '?')}"
    if kind == "kafka" and config is not None:
        return f"Kafka topic {getattr(config, 'topic', '?')}"
    if kind == "console":
        return "the console (the openlineage logger, at level INFO)"
    return f"the {kind} transport"


def configuration_sources(env: Mapping[str, str] | None = None) -> list[str]:
    """What configures OpenLineage here, in the client's order: ``[OPENLINEAGE_DISABLED]`` alone when it is
    disabled; else any of the file (its path), ``OPENLINEAGE__TRANSPORT__...`` and ``OPENLINEAGE_URL``."""
    env = os.environ if env is None else env
    if env.get(ENV_DISABLED, "").strip().lower() == "true":
        return [ENV_DISABLED]
    sources = [str(path) for path in _config_files(env)[:1]]
    # the client uses its nested variables only with a transport type; those it writes itself when it reads
    # OPENLINEAGE_URL (OPENLINEAGE__TRANSPORT__TRANSPORTS__DEFAULT_HTTP__...) have none
    if env.get(f"{ENV_NESTED_PREFIX}TYPE"):
        sources.append(f"{ENV_NESTED_PREFIX}...")
    if env.get(ENV_URL):
        sources.append(ENV_URL)
    return sources


def configuration_summary(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(value, source) for ``%sqlflow_config``'s ``openlineage`` row: where ``--emit`` would send, the API
    key masked, or why it cannot. Never raises."""
    env = os.environ if env is None else env
    sources = configuration_sources(env)
    try:
        _client_class()
    except OpenLineageNotInstalledError:
        return f"not installed ({INSTALL_HINT.lower().removeprefix('install the extra: ')})", "default"
    if sources == [ENV_DISABLED]:
        return "disabled: --emit sends nothing", ENV_DISABLED
    if not sources:
        return "not configured: set OPENLINEAGE_URL or write openlineage.yml", "default"
    if sources == [ENV_URL]:  # described without making a client, which would write variables of its own
        endpoint = urljoin(env[ENV_URL].strip(), env.get(ENV_ENDPOINT, "api/v1/lineage"))
        key = " with API key ******** (set)" if env.get(ENV_API_KEY) else ""
        return f"{display_url(endpoint)}{key}", ENV_URL
    try:
        client = openlineage_client(env)
    except SQLFlowError as exc:
        return f"(unusable: {exc.message})", ", ".join(sources)
    key = " with API key ******** (set)" if _api_keys(client.transport) else ""
    return f"{describe_transport(client.transport)}{key}", ", ".join(sources)


# --- the failure, in one line ------------------------------------------------------------------------


def _failure(outcomes: list[EventOutcome], unsent: list[str], destination: str,
             interrupted: bool) -> SQLFlowError | KeyboardInterrupt:
    failed = outcomes[-1]
    total = len(outcomes) + len(unsent)
    sent = len(outcomes) - 1
    rest = len(outcomes) + 1
    not_sent = ("" if not unsent else f"; the {_nth(rest)} was not sent" if len(unsent) == 1
                else f"; the {_nth(rest)} to {_nth(total)} were not sent")
    head = f"{sent} of {total} OpenLineage events sent to {destination}"
    if interrupted:
        return CallInterrupted(f"{head}; sending the {_nth(failed.number)} ({failed.description}) was interrupted "
                               f"and it may or may not have arrived{not_sent}")
    unsent_outcomes = tuple(EventOutcome(rest + i, text, sent=False) for i, text in enumerate(unsent))
    return OpenLineageEmitError(f"{head}; the {_nth(failed.number)} ({failed.description}) {failed.problem}"
                                f"{not_sent}", sent=tuple(outcomes[:-1]), failed=failed, unsent=unsent_outcomes)


def _problem(exc: Exception, scrub: Scrubber) -> str:
    """What went wrong with one event, as words: ``was refused: HTTP 400 Bad Request: ...``."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        answer = exc.response
        excerpt = _one_line(answer.text or "")[:ANSWER_EXCERPT]
        said = f": {excerpt}" if excerpt else ""
        return scrub(f"was refused: HTTP {answer.status_code} {answer.reason or ''}".rstrip() + said)
    if isinstance(exc, requests.exceptions.RetryError):
        return scrub(f"was not delivered: the endpoint kept failing ({_reason(exc)}) through the transport's retries")
    if isinstance(exc, requests.Timeout):
        return "was not delivered: the endpoint did not answer within the transport's timeout"
    if isinstance(exc, requests.ConnectionError):
        errno = _ERRNO.search(str(exc))
        why = errno.group(0).strip() if errno else "no connection could be made"
        return scrub(f"was not delivered: the transport is down ({why})")
    return scrub(f"was not delivered: {_one_line(f'{type(exc).__name__}: {exc}')[:ANSWER_EXCERPT]}")


def _reason(exc: Exception) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return _one_line(str(reason or exc))[:ANSWER_EXCERPT]


def _nth(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else _ORDINAL.get(number % 10, "th")
    return f"{number}{suffix}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- the client, its configuration and its secrets -----------------------------------------------------


def _client_class() -> type[OpenLineageClient]:
    try:
        from openlineage.client import OpenLineageClient
    except ImportError:
        raise OpenLineageNotInstalledError("sending OpenLineage events needs openlineage-python") from None
    return OpenLineageClient


def _config_files(env: Mapping[str, str]) -> list[Path]:
    """The client's ``openlineage.yml`` candidates that exist, in its order."""
    candidates = [env.get(ENV_CONFIG), str(Path.cwd() / "openlineage.yml"),
                  str(Path("~/.openlineage/openlineage.yml").expanduser())]
    return [Path(path) for path in candidates if path and Path(path).is_file()]


def _api_keys(transport: Any) -> list[str]:
    """The secrets a transport holds: an HTTP transport's API key or bearer credentials, its custom
    headers' values, its URL's credentials; those of each transport of a composite one."""
    found: list[str] = []
    config = getattr(transport, "config", None)
    auth = getattr(config, "auth", None)
    for name in ("api_key", "client_secret"):
        value = getattr(auth, name, None)
        if isinstance(value, str):
            found.append(value)
    found += [str(value) for value in (getattr(config, "custom_headers", None) or {}).values()]
    if isinstance(getattr(transport, "url", None), str):
        found += url_credentials(transport.url)
    for inner in getattr(transport, "transports", None) or ():
        found += _api_keys(inner)
    return found


def _env_secrets(env: Mapping[str, str] | None) -> list[str]:
    env = os.environ if env is None else env
    url = env.get(ENV_URL, "")
    return [env.get(ENV_API_KEY, ""), *url_credentials(url)]


def _scrubber_for(transport: Any) -> Scrubber:
    return Scrubber([*_api_keys(transport), *_env_secrets(None)])
