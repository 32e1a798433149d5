"""A loopback stand-in for a catalogue's OpenLineage endpoint: ``POST /api/v1/lineage``, as Marquez serves it.

Marquez, DataHub and OpenMetadata are services that a test or a tutorial cannot start; this receiver
answers as Marquez's lineage endpoint does and keeps what it gets, so that events can be sent for real,
through ``openlineage-python``'s own HTTP transport, and looked at afterwards::

    from sqlflow_magic.openlineage.receiver import LineageReceiver

    with LineageReceiver() as receiver:           # a free port on 127.0.0.1
        os.environ["OPENLINEAGE_URL"] = receiver.url
        ...                                       # %sqlflow_lineage --format openlineage --emit
        receiver.events, receiver.warnings, receiver.runs()

Answers, as Marquez's: ``201 Created`` (no body) for an event it accepts; ``400`` for a body that is not
JSON; ``422`` with ``{"errors": [...]}`` for JSON that is no OpenLineage event (a required field missing,
a run id that is not a UUID); ``401`` without the API key when it was started with one
(``Authorization: Bearer KEY``, as the client's ``api_key`` auth sends it); ``404`` elsewhere and ``405``
for other methods. ``Content-Encoding: gzip`` bodies (the client's ``compression: gzip``) are read.

Each accepted event is read back into the client's models (:mod:`sqlflow_magic.openlineage.reading`);
what does not fit them (a field the spec does not define, a facet without ``_producer``) is a warning, kept
in :attr:`LineageReceiver.warnings`: events a real catalogue would take, but not as the spec says.

**Duplicates**, as a catalogue sees them: Marquez keeps every event it is sent in its raw event log, and
files it under its run (by ``runId``), its job (namespace and name) and its datasets (namespace and name).
Sending the same events twice doubles the log (:attr:`events`) but adds no run, job or dataset:
:meth:`runs`, :meth:`jobs` and :meth:`datasets` are those, each once.

For tests: :meth:`refuse` makes the next events get another answer (``refuse(400, count=1)``), and
:func:`closed_port_url` is an endpoint where nothing listens (a transport that is down).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .reading import EventReadError, ReadEvent, read_event

ENDPOINT = "/api/v1/lineage"
#: The largest body accepted (Marquez's own limit is its web server's; a lineage event is kilobytes).
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One accepted event: its JSON as it came, the client's model of it, what did not fit."""

    data: dict[str, Any]
    event: Any
    warnings: tuple[str, ...]


@dataclass
class _Refusal:
    status: int
    body: str
    count: int
    after: int


@dataclass
class _State:
    api_key: str | None
    received: list[Received] = field(default_factory=list)
    refusals: list[_Refusal] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LineageReceiver:
    """``POST /api/v1/lineage`` on a loopback port, in a thread of this process (the module's docstring)."""

    def __init__(self, *, port: int = 0, api_key: str | None = None) -> None:
        self._state = _State(api_key=api_key)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self._state))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"LineageReceiver({self.url}, {len(self.events)} events)"

    @property
    def url(self) -> str:
        """The base URL to give ``OPENLINEAGE_URL`` (the client adds ``api/v1/lineage``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LineageReceiver:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="openlineage-receiver",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LineageReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def events(self) -> list[Received]:
        """Every event accepted, in the order it came: the raw event log."""
        with self._state.lock:
            return list(self._state.received)

    @property
    def warnings(self) -> list[str]:
        """What did not fit the spec in any accepted event: ``event 3: job.facets.x: ...``."""
        return [f"event {number}: {warning}" for number, received in enumerate(self.events, start=1)
                for warning in received.warnings]

    def runs(self) -> dict[str, list[str]]:
        """Each run id once, with the states its events went through (``["START", "COMPLETE"]``)."""
        found: dict[str, list[str]] = {}
        for received in self.events:
            run = received.data.get("run")
            if isinstance(run, dict):
                found.setdefault(str(run.get("runId")), []).append(str(received.data.get("eventType")))
        return found

    def jobs(self) -> set[tuple[str, str]]:
        """Each job (namespace, name) once."""
        return {(str(r.data["job"].get("namespace")), str(r.data["job"].get("name")))
                for r in self.events if isinstance(r.data.get("job"), dict)}

    def datasets(self) -> set[tuple[str, str]]:
        """Each input or output dataset (namespace, name) once."""
        return {(str(d.get("namespace")), str(d.get("name"))) for r in self.events
                for d in [*(r.data.get("inputs") or []), *(r.data.get("outputs") or [])] if isinstance(d, dict)}

    def refuse(self, status: int = 400, body: str = '{"errors": ["refused on purpose"]}', *, count: int = 1,
               after: int = 0) -> None:
        """Take ``after`` more events, then answer the next ``count`` with ``status`` and ``body``."""
        with self._state.lock:
            self._state.refusals.append(_Refusal(status, body, count, after))

    def clear(self) -> None:
        with self._state.lock:
            self._state.received.clear()
            self._state.refusals.clear()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: a port bound and closed again, so a connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a notebook or a test run shows no access log."""

        def do_POST(self) -> None:
            if self.path.split("?")[0].rstrip("/") != ENDPOINT:
                self._answer(404, {"code": 404, "message": f"HTTP 404 Not Found: {self.path.split('?')[0]}"})
                return
            if state.api_key is not None and self.headers.get("Authorization") != f"Bearer {state.api_key}":
                self._read_body()
                self._answer(401, {"code": 401, "message": "HTTP 401 Unauthorized: a Bearer API key is required"})
                return
            body = self._read_body()
            if body is None:
                return
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                self._answer(400, {"code": 400, "message": f"Unable to process JSON: {exc}"})
                return
            try:
                read: ReadEvent = read_event(data)
            except EventReadError as exc:
                self._answer(422, {"errors": [str(exc)]})
                return
            with state.lock:
                refusal = state.refusals[0] if state.refusals else None
                if refusal is not None and refusal.after > 0:
                    refusal.after -= 1
                    refusal = None
                if refusal is not None:
                    refusal.count -= 1
                    if refusal.count <= 0:
                        state.refusals.pop(0)
                else:
                    state.received.append(Received(data, read.event, read.warnings))
            if refusal is not None:
                self._answer(refusal.status, refusal.body)
                return
            self._answer(201, None)

        def do_GET(self) -> None:
            self._answer(405 if self.path.split("?")[0].rstrip("/") == ENDPOINT else 404, None)

        def _read_body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, {"code": 413, "message": "the event is too large"})
                self.close_connection = True
                return None
            body = self.rfile.read(length)
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError):
                    self._answer(400, {"code": 400, "message": "the body is not gzip"})
                    return None
            return body

        def _answer(self, status: int, body: Any) -> None:
            payload = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
