"""A real HTTP server on loopback that answers from a script: errors, HTML pages, slow answers, silence,
hang-ups, resets, answers trickled or made as they are sent (hundreds of MiB, gzip bombs), uploads read
at the pace of a slow link; and a loopback port whose connects time out.

It stands in for a misbehaving SQLFlow or a proxy in front of one, for the faults that the local
SQLFlow-compatible server cannot be made to produce on demand. What neither can produce (a host name
that does not resolve) is the one fault the tests mock (docs/contributing.md). :func:`echoing` scripts a
careless SQLFlow that echoes every request it got, in every encoding, in its errors and job summaries.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, quote_plus


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a hundred connects at once are accepted, as by a real server


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict | Callable[[], bytes | dict] = b""  # a callable: called once the request is read
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # read part of the request, then reset the connection
    hang_up: bool = False  # read the request, then close the connection without an answer
    silent: bool = False  # never answer
    deaf: bool = False  # never read the request's body, never answer
    #: The body made piece by piece as it is sent, never held whole (see ``trickle``, ``endless``, ``gzip_bomb``);
    #: no Content-Length unless ``headers`` give one: the end of the body is the end of the connection.
    chunks: Callable[[], Iterable[bytes]] | None = None
    header_delay: float = 0.0  # seconds between the bytes of the status line and headers: trickled headers
    read_rate: float | None = None  # bytes per second the request's body is read at (a slow link); None: at once


JOB = {"jobId": "c359aef4bd9641d697732422debd8055", "jobName": "j", "userId": "gudu|0123456789",
       "dbVendor": "dbvmssql", "dataSource": {}, "fileNames": ["cell.sql"], "createTime": "2020-12-15 15:14:39",
       "status": "process"}


class FaultServer:
    """``script(path, n)`` gives the :class:`Answer` for the n-th request (1-based) to ``path``;
    ``generateToken`` is answered with ``token`` and is not scripted. ``requests`` lists the paths asked,
    ``bodies`` the bodies of the requests read whole, in order; ``authorizations`` each request's
    ``Authorization`` header (None without one); ``unfinished`` the paths whose answer the
    client stopped taking before its end, and ``sent`` how many bytes of each path's last answer body
    were written. With ``keep_alive`` it speaks HTTP/1.1 and keeps each connection open after a whole
    answer (streamed answers still close it); ``connections`` gives the client's port of each request,
    so that a test can tell which requests shared a connection."""

    def __init__(self, script: Callable[[str, int], Answer], token: str = "header.payload.signature",
                 keep_alive: bool = False) -> None:
        self.script = script
        self.connections: list[int] = []
        self.requests: list[str] = []
        self.bodies: list[bytes] = []
        self.authorizations: list[str | None] = []
        self.unfinished: list[str] = []
        self.sent: dict[str, int] = {}
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:
                path = self.path.rsplit("/", 1)[-1]
                server.connections.append(self.client_address[1])
                server.requests.append(path)
                server.authorizations.append(self.headers.get("authorization"))
                if path == "generateToken":  # tokens are handed out normally; the faults are elsewhere
                    answer = Answer(200, {"code": "200", "token": token})
                else:
                    answer = server.script(path, server.requests.count(path))
                length = int(self.headers.get("content-length", 0))
                if answer.deaf:
                    server.stopping.wait(30)
                    return
                if answer.reset:
                    self.rfile.read(min(length, 4096))
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                server.bodies.append(self.read_body(length, answer.read_rate))
                if answer.hang_up:
                    self.close_connection = True
                    return
                if answer.silent:
                    server.stopping.wait(30)
                    return
                time.sleep(answer.delay)
                if answer.chunks is not None or answer.header_delay:
                    self.stream(path, answer)
                    return
                body = answer.body() if callable(answer.body) else answer.body
                body = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(answer.status)
                for name, value in {"content-type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def read_body(self, length: int, rate: float | None) -> bytes:
                if not rate:
                    return self.rfile.read(length)
                pieces = []
                while length > 0:
                    piece = self.rfile.read(min(length, 64 * 1024))
                    if not piece:
                        break
                    pieces.append(piece)
                    length -= len(piece)
                    time.sleep(len(piece) / rate)
                return b"".join(pieces)

            def stream(self, path: str, answer: Answer) -> None:
                """Write the answer as it is made: headers byte by byte when trickled, the body piece by piece."""
                body = (answer.body() if callable(answer.body) else answer.body) if answer.chunks is None else b""
                body = json.dumps(body).encode() if isinstance(body, dict) else body
                headers = {"content-type": "application/json", **answer.headers}
                if answer.chunks is None:
                    headers["content-length"] = str(len(body))
                head = f"HTTP/1.0 {answer.status} {self.responses.get(answer.status, ('',))[0]}\r\n"
                head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
                server.sent[path] = 0
                try:
                    for byte in head.encode() if answer.header_delay else ():
                        if server.stopping.wait(answer.header_delay):
                            return
                        self.wfile.write(bytes([byte]))
                    if not answer.header_delay:
                        self.wfile.write(head.encode())
                    for piece in ([body] if answer.chunks is None else answer.chunks()):
                        if server.stopping.is_set():
                            return
                        self.wfile.write(piece)
                        server.sent[path] += len(piece)
                except (BrokenPipeError, ConnectionResetError):
                    server.unfinished.append(path)
                self.close_connection = True

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    def hung_up_on(self, path: str, within: float = 5.0) -> bool:
        """Whether the client stops taking ``path``'s answer before its end: the server notices at its next
        write or two, so it is given ``within`` seconds to."""
        ends = time.monotonic() + within
        while path not in self.unfinished and time.monotonic() < ends:
            time.sleep(0.02)
        return path in self.unfinished

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/gspLive_backend"


@contextmanager
def fault_server(script: Callable[[str, int], Answer], token: str = "header.payload.signature",
                 keep_alive: bool = False) -> Iterator[FaultServer]:
    """A :class:`FaultServer` answering on a free loopback port until the block ends."""
    server = FaultServer(script, token, keep_alive)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.httpd.shutdown()
        server.httpd.server_close()


@contextmanager
def refusing_proxy() -> Iterator[str]:
    """The URL of a loopback proxy that answers every request, a ``CONNECT`` included, with 407 Proxy
    Authentication Required, as a corporate proxy does to a client without its credentials."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def refuse(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.close_connection = True
            self.send_response(407)
            for name, value in {"Proxy-Authenticate": 'Basic realm="corporate"', "content-length": "0",
                                "connection": "close"}.items():
                self.send_header(name, value)
            self.end_headers()

        do_CONNECT = do_POST = do_GET = refuse

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def connect_times_out() -> Iterator[str]:
    """The base URL of a loopback port that listens but never accepts, its queue full: a connect to it
    times out, as to a host that drops packets (Linux drops the SYN of a connect to a full queue)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(16):
            filler = socket.socket()
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect(address)
            except TimeoutError:  # the queue is full
                break
        else:
            raise RuntimeError("the listen queue never filled: a connect to it would not time out")
        yield f"http://127.0.0.1:{address[1]}/api/gspLive_backend"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


MIB = 1024 * 1024


def trickle(piece: int = 1024, every: float = 0.2, for_seconds: float = 30.0) -> Callable[[], Iterator[bytes]]:
    """A body that never ends in time: ``piece`` bytes every ``every`` seconds, for ``for_seconds`` at most
    (white space after an opening brace: never a complete JSON)."""

    def pieces() -> Iterator[bytes]:
        yield b"{"
        ends = time.monotonic() + for_seconds
        while time.monotonic() < ends:
            time.sleep(every)
            yield b" " * piece

    return pieces


def endless(total: int, piece: int = MIB) -> Callable[[], Iterator[bytes]]:
    """A body of ``total`` bytes made as it is sent, one ``piece`` reused: the server holds 1 MiB of it."""
    buffer = b"x" * piece

    def pieces() -> Iterator[bytes]:
        for _ in range(total // piece):
            yield buffer

    return pieces


@functools.cache
def _zeros_gzip_parts(mib: int) -> tuple[bytes, bytes, bytes]:
    """The gzip of ``mib`` MiB of zeros as (header and first MiB, each further MiB, end and trailer).

    A full flush after each MiB resets the compressor, so every further MiB compresses to the same
    ~1 KB: the bomb is sent as ``first + same * (mib - 1) + end``, made in a fraction of a second.
    """
    zeros = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    same = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    end = b"\x03\x00" + struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF)  # an empty last block; CRC, size
    return first, same, end


def gzip_bomb(decoded_mib: int) -> Callable[[], Iterator[bytes]]:
    """A gzip body (``Content-Encoding: gzip``) of ~1 KB per MiB that expands to ``decoded_mib`` MiB of zeros."""
    first, same, end = _zeros_gzip_parts(decoded_mib)

    def pieces() -> Iterator[bytes]:
        yield first
        for _ in range(decoded_mib - 1):
            yield same
        yield end

    return pieces


LINEAGE = {"code": 200, "data": {"sqlflow": {"dbvendor": "dbvmssql", "dbobjs": [], "relationships": []}}}
FAILED = {"status": "fail", "errorMessage": "no SQL statement could be analysed: syntax error near SELEC"}


def scripted(final: dict, polls: int = 3) -> Callable[[str, int], Answer]:
    """A SQLFlow whose job is ``process`` for ``polls`` summaries, then ``final``."""

    def script(path: str, n: int) -> Answer:
        if path == "submitPersistJob":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "create"}})
        if path == "displayUserJobSummary":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "process"} if n <= polls else {**JOB, **final}})
        return Answer(200, LINEAGE)

    return script



def form_fields(body: bytes) -> list[tuple[str, str]]:
    """The fields of a request body, form-encoded or multipart (the files' contents left out)."""
    text = body.decode("utf-8", "replace")
    if not text.startswith("--"):
        return parse_qsl(text, keep_blank_values=True)
    return re.findall(r'name="([^"]+)"\r\n\r\n(.*?)\r\n--', text, re.DOTALL)


def echoes(bodies: list[bytes]) -> list[str]:
    """Each request body, as a careless server echoes it: raw; its fields decoded, then URL-encoded (upper- and
    lower-case hex), form-encoded, JSON-escaped (``\\uXXXX`` and ``\\/`` too) and HTML-escaped; the body in
    base64 at byte offsets 0, 1 and 2 of a longer blob, and in base64url."""
    found = []
    for body in bodies:
        plain = "&".join(f"{name}={value}" for name, value in form_fields(body))
        found += [body.decode("utf-8", "replace"), plain, quote(plain, safe=""),
                  re.sub("%[0-9A-F]{2}", lambda hexed: hexed.group().lower(), quote(plain, safe="")), quote_plus(plain),
                  json.dumps(plain), json.dumps(plain, ensure_ascii=False).replace("/", "\\/"), html.escape(plain)]
        found += [base64.b64encode(b"echo:"[:offset] + body).decode() for offset in range(3)]
        found.append(base64.urlsafe_b64encode(body).decode())
    return found


def echoing(server_of: Callable[[], FaultServer], polls: int = 1) -> Callable[[str, int], Answer]:
    """A SQLFlow that echoes every request it got so far (:func:`echoes`, the ``generateToken`` one with the
    secret key included): in the job's name, in a failed job's ``errorMessage`` and ``errors``, and in the
    error of every other call. ``server_of()`` is the server the script runs in."""

    def echoed() -> str:
        return " | ".join(echoes(server_of().bodies))

    def job(status: str) -> dict:
        return {**JOB, "jobName": f"echo {echoed()}", "status": status, **({} if status != "fail" else {
            "errorMessage": f"cannot analyse: {echoed()}",
            "errors": [{"errorMessage": echo, "errorType": "syntax", "coordinates": [{"x": 1, "y": 1}]}
                       for echo in echoes(server_of().bodies)]})}

    def script(path: str, n: int) -> Answer:
        if path == "submitPersistJob":
            return Answer(200, lambda: {"code": 200, "data": job("create")})
        if path == "displayUserJobSummary":
            return Answer(200, lambda: {"code": 200, "data": job("process" if n <= polls else "fail")})
        if path == "displayUserJobsSummary":
            return Answer(200, lambda: {"code": 200, "data": {"total": 1, "fail": 1, "jobDetails": [job("fail")]}})
        return Answer(500, lambda: {"code": 500, "error": f"{path} failed: {echoed()}"})

    return script


@contextmanager
def echoing_server(token: str, polls: int = 1) -> Iterator[FaultServer]:
    """A :class:`FaultServer` answering as :func:`echoing` on a free loopback port, handing out ``token``."""
    servers: list[FaultServer] = []
    with fault_server(echoing(lambda: servers[0], polls), token) as server:
        servers.append(server)
        yield server
