"""A replay server: a real HTTP server on loopback that answers SQLFlow's endpoints with the fixtures.

Each fixture reproduces the shape of an answer a real SQLFlow server gave (see its ``follows``), so the
magics meet here what they meet in the field, not what our own local server writes. The server
records every request's fields, so that tests can check what the magics asked for.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parents[1] / "replay" / "fixtures"
TOKEN = "replay.token.value"


@cache
def fixture(name: str) -> dict[str, Any]:
    """A fixture file: ``follows``, ``endpoint``, ``sql`` and the ``answer`` (or ``answer_text``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def answer(name: str) -> Any:
    """The answer body of a fixture, as a real server sent it."""
    return fixture(name).get("answer", fixture(name).get("answer_text"))


@dataclass
class Recorded:
    """One request the server received: the endpoint (last path part), its form fields and file names."""

    endpoint: str
    fields: dict[str, str]
    files: list[str] = field(default_factory=list)


#: What an endpoint answers: a fixture name, or a function of the request giving one.
Script = Mapping[str, "str | Callable[[Recorded], str]"]


class ReplayServer:
    """Answers ``POST .../<endpoint>`` with the fixture ``script[endpoint]``; tokens are handed out to anyone."""

    def __init__(self, script: Script) -> None:
        self.script = dict(script)
        self.requests: list[Recorded] = []
        self._server = _QuietServer(uvicorn.Config(
            Starlette(routes=[Route("/{path:path}", self._answer, methods=["POST"])]),
            log_level="warning", access_log=False, log_config=None, lifespan="off"))
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/api/gspLive_backend"

    def asked(self, endpoint: str) -> list[dict[str, str]]:
        """The fields of every request to ``endpoint``, in order."""
        return [r.fields for r in self.requests if r.endpoint == endpoint]

    async def _answer(self, request: Request) -> Response:
        endpoint = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        async with request.form() as form:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            files = [v.filename or "" for _, v in form.multi_items() if isinstance(v, UploadFile)]
        recorded = Recorded(endpoint, fields, files)
        self.requests.append(recorded)
        if endpoint == "generateToken":
            return JSONResponse({"code": "200", "token": TOKEN})
        chosen = self.script.get(endpoint)
        if chosen is None:
            return JSONResponse({"code": 404, "error": f"the replay has no answer for {endpoint}"}, status_code=404)
        name = chosen if isinstance(chosen, str) else chosen(recorded)
        body = answer(name)
        if isinstance(body, str):
            kind = "text/csv" if name.endswith(".csv") else "application/xml"
            return Response(body, media_type=kind)
        return JSONResponse(body)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the replay server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


class _QuietServer(uvicorn.Server):
    """A uvicorn server on a thread: the signal handlers belong to the test process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
