"""A real HTTP server on loopback that answers from a script: errors, HTML pages, silence, resets.

It stands in for a misbehaving SQLFlow or a proxy in front of one, for the faults that the local
SQLFlow-compatible server cannot be made to produce on demand.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # read part of the request, then reset the connection
    silent: bool = False  # never answer


JOB = {"jobId": "c359aef4bd9641d697732422debd8055", "jobName": "j", "userId": "gudu|0123456789",
       "dbVendor": "dbvmssql", "dataSource": {}, "fileNames": ["cell.sql"], "createTime": "2020-12-15 15:14:39",
       "status": "process"}


class FaultServer:
    """``script(path, n)`` gives the :class:`Answer` for the n-th request (1-based) to ``path``."""

    def __init__(self, script: Callable[[str, int], Answer]) -> None:
        self.script = script
        self.requests: list[str] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                path = self.path.rsplit("/", 1)[-1]
                server.requests.append(path)
                if path == "generateToken":  # tokens are handed out normally; the faults are elsewhere
                    answer = Answer(200, {"code": "200", "token": "header.payload.signature"})
                else:
                    answer = server.script(path, server.requests.count(path))
                length = int(self.headers.get("content-length", 0))
                if answer.reset:
                    self.rfile.read(min(length, 4096))
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                self.rfile.read(length)
                if answer.silent:
                    server.stopping.wait(30)
                    return
                time.sleep(answer.delay)
                body = json.dumps(answer.body).encode() if isinstance(answer.body, dict) else answer.body
                self.send_response(answer.status)
                for name, value in {"content-type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/gspLive_backend"


@contextmanager
def fault_server(script: Callable[[str, int], Answer]) -> Iterator[FaultServer]:
    server = FaultServer(script)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.httpd.shutdown()
        server.httpd.server_close()
