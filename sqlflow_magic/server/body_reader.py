"""Reading a request body as it streams in: text fields in memory, file parts spooled, every limit checked
as the bytes arrive, and the caller's credentials checked as soon as they are known.

multipart/form-data and application/x-www-form-urlencoded bodies are parsed by python-multipart's
public parsers, fed from Starlette's ``request.stream()``; other bodies are not read. What is kept:

* text fields, in memory: at most :data:`MAX_FIELDS` of them and ``field_bytes`` in all;
* the file parts named in ``file_fields``, each a :class:`~sqlflow_magic.server.spool.SpooledUpload`
  (on disk past one MiB); other file parts are read and dropped.

Before the caller is known, at most ``preauth`` bytes of the body are read. ``admit(final)`` says
whether the credentials read so far (the query string and the ``Authorization`` header first, then each
``userId``, ``token`` or ``secretKey`` field as it ends) let the caller in: ``True`` lifts that budget,
``False`` means not known yet, and a :class:`~sqlflow_magic.server.responses.Rejection` (401/403) refuses
the request at once. When the budget is spent, ``admit(True)`` must decide. A caller let in may send
up to ``total`` bytes; past it, the answer is 413.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import NoReturn

from python_multipart import MultipartParser, QuerystringParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sqlflow_magic.server.form_events import BodyEvent, MultipartEvents, UrlencodedEvents
from sqlflow_magic.server.responses import BAD_REQUEST, TIME_LIMIT, TOO_LARGE, Rejection
from sqlflow_magic.server.spool import SpooledUpload

#: The fields whose arrival may let the caller in.
CREDENTIAL_FIELDS = frozenset({"userId", "token", "secretKey"})
#: The most text fields one request may have.
MAX_FIELDS = 1000


@dataclass(frozen=True)
class BodyLimits:
    """The sizes a body is held to (see the module's docstring); ``too_large`` is the 413's message."""

    total: int
    too_large: str
    preauth: int
    field_bytes: int
    max_files: int
    #: Seconds the body may stop arriving before the request is refused (408) and its connection closed.
    idle_seconds: float = 60.0


class BodyReader:
    """Reads one request's body into ``fields`` and ``files`` (see the module's docstring).

    ``keep`` is given every spooled upload as soon as it is made (the caller closes them when the
    request ends); ``named`` spools files that another process can open by their path.
    """

    def __init__(self, fields: dict[str, str], files: list[SpooledUpload], file_fields: tuple[str, ...],
                 limits: BodyLimits, admit: Callable[[bool], bool], keep: Callable[[SpooledUpload], object],
                 *, named: bool = False) -> None:
        self.fields = fields
        self.files = files
        self.file_fields = file_fields
        self.limits = limits
        self.admit = admit
        self.keep = keep
        self.named = named
        #: Whether the caller is known to be allowed (the pre-auth budget no longer applies).
        self.admitted = False
        #: Whether the whole body was read (a refusal before then closes the connection).
        self.complete = False
        self._received = 0
        self._field_count = 0
        self._field_bytes = 0
        self._file_count = 0
        self._current: SpooledUpload | None = None
        self._events: list[BodyEvent] = []

    async def read(self, request: Request) -> None:
        """Read the body, or leave it unread if it is not a form."""
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        if kind == b"multipart/form-data":
            parser: MultipartParser | QuerystringParser = self._multipart(options)
        elif kind == b"application/x-www-form-urlencoded":
            parser = QuerystringParser(UrlencodedEvents(self).callbacks())
        else:
            self.complete = request.headers.get("content-length", "0") == "0"
            return
        try:
            chunks = request.stream()
            while (chunk := await self._next(chunks)) is not None:  # a few hundred KiB at most (flow control)
                parser.write(chunk)
                await self._handle_events()
                self._count(len(chunk))  # after the chunk's fields: credentials at its start are known by then
            parser.finalize()
            await self._handle_events()
        except FormParserError as exc:
            raise Rejection(BAD_REQUEST, f"cannot read the request body: {exc}") from None
        self.complete = True

    async def _next(self, chunks: AsyncIterator[bytes]) -> bytes | None:
        """The next piece of the body, None at its end; 408 if none comes within ``idle_seconds``.

        Without it a sender that stops (or trickles a byte a minute) would hold its upload slot, its
        spooled file and a connection for as long as it liked (``max_concurrent_uploads``)."""
        try:
            return await asyncio.wait_for(chunks.__anext__(), self.limits.idle_seconds)
        except StopAsyncIteration:
            return None
        except asyncio.TimeoutError:
            raise Rejection(TIME_LIMIT, f"the request body stopped arriving for {self.limits.idle_seconds:g} s "
                            "(body_idle_timeout_seconds); send it again over a working connection", 408) from None

    def _multipart(self, options: dict[bytes, bytes]) -> MultipartParser:
        boundary = options.get(b"boundary")
        if not boundary:
            raise Rejection(BAD_REQUEST, "cannot read the request body: its multipart content type has no boundary")
        charset = options.get(b"charset", b"utf-8").decode("latin-1")
        return MultipartParser(boundary, MultipartEvents(self, charset).callbacks())

    def _count(self, size: int) -> None:
        self._received += size
        if self._received > self.limits.total:
            self._too_large(self.limits.too_large)
        if not self.admitted and self._received > self.limits.preauth:
            self.admitted = self.admit(True)

    def _too_large(self, message: str) -> NoReturn:
        """Refuse the request (413), unless the caller is not let in: then it hears why (401/403), not how large
        its request was."""
        if not self.admitted:
            self.admit(True)
        raise Rejection(TOO_LARGE, message, 413)

    # called by the parsers' callbacks (server/form_events.py), as they parse ---------------------------

    def event(self, event: BodyEvent) -> None:
        """Note what the parser found; it is handled once the chunk is parsed."""
        self._events.append(event)

    def count_field(self) -> None:
        """A text field begins: refuse the request past :data:`MAX_FIELDS`."""
        self._field_count += 1
        if self._field_count > MAX_FIELDS:
            self._too_large(f"too many fields: at most {MAX_FIELDS} per request")

    def count_field_bytes(self, size: int) -> None:
        """More bytes of text fields (or part headers): refuse the request past ``field_bytes``."""
        self._field_bytes += size
        if self._field_bytes > self.limits.field_bytes:
            self._too_large(
                f"the request's text fields are larger than {self.limits.field_bytes} bytes (max_field_bytes): "
                "send SQL as multipart file parts (sqlfiles, or sqlfile for the generation endpoints)"
            )

    # handled on the event loop, in order ------------------------------------------------------------

    async def _handle_events(self) -> None:
        events, self._events = self._events, []
        data: list[bytes | memoryview] = []  # of the current file part, written at once
        for event in events:
            if event.kind == "data":
                data.append(event.data)
                continue
            await self._write(data)
            data = []
            if event.kind == "field":
                self._field(event.name, event.text)
            elif event.kind == "file":
                self._file(event.name, event.text)
            elif event.kind == "end":
                self._current = None
        await self._write(data)

    async def _write(self, data: list[bytes | memoryview]) -> None:
        upload = self._current
        if upload is None or not data:
            return
        if upload.spills(sum(map(len, data))):  # disk writes off the event loop
            await run_in_threadpool(upload.write_all, data)
        else:
            upload.write_all(data)

    def _field(self, name: str, value: str) -> None:
        if name in self.file_fields:
            if not value.strip():  # SQLFlow's documented curl call sends an empty "sqlfile=" beside sqltext
                return
            raise Rejection(BAD_REQUEST, f"{name} must be sent as multipart file parts, each with a filename")
        self.fields[name] = value
        if name in CREDENTIAL_FIELDS and not self.admitted:
            self.admitted = self.admit(False)

    def _file(self, name: str, filename: str) -> None:
        self._file_count += 1
        if self._file_count > self.limits.max_files:
            self._too_large(f"too many files: at most {self.limits.max_files} per request (max_files_per_request)")
        if name not in self.file_fields:
            self._current = None  # a file part this endpoint does not take: read and dropped
            return
        upload = SpooledUpload(filename or f"sqlfile{len(self.files) + 1}.sql", named=self.named)
        self.keep(upload)
        self.files.append(upload)
        self._current = upload
