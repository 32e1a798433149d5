"""Reading an answer within ``max_answer_bytes`` and the call's deadline, never holding more than the cap.

The answer is streamed (``httpx.Client.stream``, ``Response.iter_raw``): a ``Content-Length`` over the cap
is refused before any of the body is read; otherwise the bytes are counted as they arrive, compressed
and decoded alike, and the answer is refused as soon as either count passes the cap. The client decodes
``gzip`` and ``deflate`` itself, in pieces of at most 64 KiB, so that a small compressed answer that
expands to gigabytes (a "gzip bomb") is refused at the cap too, instead of being expanded whole by one
call of a decoder. It asks for these two encodings only (``Accept-Encoding``); an answer in any other
is refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

from .deadline import Deadline

__all__ = ["ACCEPT_ENCODING", "AnswerTooLarge", "UnsupportedEncoding", "read_answer"]

ACCEPT_ENCODING = "gzip, deflate"
#: The most one decoding step produces.
PIECE_BYTES = 64 * 1024
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class AnswerTooLarge(Exception):
    """The answer passed ``max_answer_bytes``; ``declared`` is its ``Content-Length`` when that said so."""

    def __init__(self, declared: int | None = None) -> None:
        super().__init__(declared)
        self.declared = declared


class UnsupportedEncoding(Exception):
    """The answer came in a ``Content-Encoding`` the client did not ask for (its name is the message)."""


def read_answer(response: httpx.Response, max_bytes: int, deadline: Deadline) -> httpx.Response:
    """The complete answer of a streamed ``response``, decoded, as an ``httpx.Response`` with its content.

    Raises :class:`AnswerTooLarge`, :class:`UnsupportedEncoding`, :class:`~.deadline.DeadlinePassed`, or
    ``httpx.DecodingError`` for a body that does not match its ``Content-Encoding``.
    """
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(int(declared))
    inflater = _Inflater(response)
    pieces: list[bytes] = []
    received = decoded = 0
    for raw in response.iter_raw():
        deadline.check()
        received += len(raw)
        if received > max_bytes:
            raise AnswerTooLarge
        for piece in inflater.feed(raw):
            decoded += len(piece)
            if decoded > max_bytes:
                raise AnswerTooLarge
            pieces.append(piece)
    deadline.check()
    headers = [(name, value) for name, value in response.headers.multi_items() if name not in _DROPPED_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(pieces), request=response.request)


class _Inflater:
    """Decodes the body's ``Content-Encoding`` (none, ``gzip`` or ``deflate``) in bounded pieces."""

    def __init__(self, response: httpx.Response) -> None:
        self._request = response.request
        codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self._raw_deflate_allowed = codings == ["deflate"]  # servers send raw deflate as "deflate" too
        if codings and codings not in (["gzip"], ["x-gzip"], ["deflate"]):
            raise UnsupportedEncoding(", ".join(codings))
        wbits = zlib.MAX_WBITS if self._raw_deflate_allowed else zlib.MAX_WBITS | 16  # | 16: a gzip header
        self._zlib = zlib.decompressobj(wbits) if codings else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``, each at most :data:`PIECE_BYTES`."""
        if self._zlib is None:
            yield data
            return
        while True:
            try:
                piece = self._zlib.decompress(data, PIECE_BYTES)
            except zlib.error as exc:
                if not self._raw_deflate_allowed:
                    raise httpx.DecodingError(f"the answer does not match its Content-Encoding ({exc})",
                                              request=self._request) from None
                self._raw_deflate_allowed = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_allowed = False
            if piece:
                yield piece
            data = self._zlib.unconsumed_tail
            if not data and len(piece) < PIECE_BYTES:
                return
