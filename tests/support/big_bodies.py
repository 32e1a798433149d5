"""Large request bodies made while they are sent (never held in memory), counting what was handed over,
and raw HTTP requests that stop after their head, for the upload tests.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MIB = 1024 * 1024
_CHUNK = 256 * 1024
#: SQL whose lineage is known (t1 -> t2), then comment lines: what the big uploads carry.
SQL_HEAD = b"insert into t2 (a) select a from t1;\n"
PADDING = b"-- padding of a big upload, a comment line of sixty-four bytes.\n"


@dataclass
class StreamedBody:
    """A body of ``head``, ``size`` bytes of ``fill`` (repeated), then ``tail``; ``sent`` counts what the client
    has taken so far. The headers carry its exact ``Content-Length``, as the magic's client sends it."""

    head: bytes
    size: int
    tail: bytes = b""
    content_type: str = "application/octet-stream"
    fill: bytes = PADDING
    sent: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, "content-length": str(len(self.head) + self.size + len(self.tail))}

    def __iter__(self) -> Iterator[bytes]:
        block = self.fill * (_CHUNK // len(self.fill))
        for piece in [self.head, *[block] * (self.size // len(block)), block[: self.size % len(block)], self.tail]:
            self.sent += len(piece)
            yield piece


def multipart_upload(fields: dict[str, str], size: int, *, file_field: str = "sqlfiles", filename: str = "big.sql",
                     fields_after: dict[str, str] | None = None, fill: bytes = PADDING) -> StreamedBody:
    """A multipart body: ``fields``, one file part of :data:`SQL_HEAD` then ``size`` bytes of ``fill`` (comment
    lines), then ``fields_after``."""
    boundary = "upload-boundary-0123456789"

    def text(values: dict[str, str]) -> bytes:
        return b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                        for name, value in values.items())

    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
            "Content-Type: application/sql\r\n\r\n").encode()
    tail = b"\r\n" + text(fields_after or {}) + f"--{boundary}--\r\n".encode()
    return StreamedBody(text(fields) + part + SQL_HEAD, size, tail, f"multipart/form-data; boundary={boundary}", fill)


@dataclass
class RawAnswer:
    """The first answer to a raw request: its status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> dict[str, object]:
        answer: dict[str, object] = json.loads(self.body)
        return answer


def send_head(url: str, content_length: int, content_type: str = "multipart/form-data; boundary=b") -> socket.socket:
    """Open a connection and send only the head of a POST to ``url`` announcing a body of ``content_length``
    bytes, with ``Expect: 100-continue``: the server asks for the body (100) only once its app reads it."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sock.sendall(
        f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {content_length}\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    return sock


def read_answer(sock: socket.socket) -> RawAnswer:
    """Read one answer from ``sock``: an interim ``100 Continue`` (no body), or a final answer with its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside the answer's body"
        rest += chunk
    return RawAnswer(int(status_line.split()[1]), headers, rest[:length])
