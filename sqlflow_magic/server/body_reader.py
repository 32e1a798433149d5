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
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote_plus

from python_multipart import MultipartParser, QuerystringParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sqlflow_magic.server.responses import BAD_REQUEST, TIME_LIMIT, TOO_LARGE, Rejection
from sqlflow_magic.server.spool import SpooledUpload

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks, QuerystringCallbacks

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


@dataclass(frozen=True)
class _Event:
    """What the parser found, handled in order once a chunk is parsed: a text field, a file part's start,
    some of its data, or its end."""

    kind: str  # "field", "file", "data" or "end"
    name: str = ""
    text: str = ""
    data: bytes | memoryview = b""


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
        self._events: list[_Event] = []

    async def read(self, request: Request) -> None:
        """Read the body, or leave it unread if it is not a form."""
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        if kind == b"multipart/form-data":
            parser: MultipartParser | QuerystringParser = self._multipart(options)
        elif kind == b"application/x-www-form-urlencoded":
            parser = QuerystringParser(_UrlencodedEvents(self).callbacks())
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
        return MultipartParser(boundary, _MultipartEvents(self, charset).callbacks())

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

    # called by the parsers' callbacks, as they parse -------------------------------------------------

    def event(self, event: _Event) -> None:
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


def _text(data: bytes, charset: str) -> str:
    """A field's bytes as text: in the body's charset, else Latin-1 (as Starlette reads them)."""
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


class _MultipartEvents:
    """python-multipart's callbacks for a multipart body: part headers read, fields collected, file data passed on."""

    def __init__(self, reader: BodyReader, charset: str) -> None:
        self.reader = reader
        self.charset = charset
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._data = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._disposition, self._is_file, self._data = b"", False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.reader.count_field_bytes(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.reader.count_field_bytes(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name, self._header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self._disposition)
        if b"name" not in options:
            message = 'cannot read the request body: a part has no "name" in its Content-Disposition header'
            raise Rejection(BAD_REQUEST, message)
        self._name = _text(options[b"name"], self.charset)
        self._is_file = b"filename" in options
        if self._is_file:
            self.reader.event(_Event("file", self._name, _text(options[b"filename"], self.charset)))
        else:
            self.reader.count_field()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.reader.event(_Event("data", data=memoryview(data)[start:end]))
        else:
            self.reader.count_field_bytes(end - start)
            self._data += data[start:end]

    def on_part_end(self) -> None:
        if self._is_file:
            self.reader.event(_Event("end"))
        else:
            self.reader.event(_Event("field", self._name, _text(bytes(self._data), self.charset)))


class _UrlencodedEvents:
    """python-multipart's callbacks for an urlencoded body: every field is text."""

    def __init__(self, reader: BodyReader) -> None:
        self.reader = reader
        self._name = bytearray()
        self._value = bytearray()

    def callbacks(self) -> QuerystringCallbacks:
        return {
            "on_field_start": self.on_field_start,
            "on_field_name": self.on_field_name,
            "on_field_data": self.on_field_data,
            "on_field_end": self.on_field_end,
        }

    def on_field_start(self) -> None:
        self.reader.count_field()
        self._name, self._value = bytearray(), bytearray()

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self.reader.count_field_bytes(end - start)
        self._name += data[start:end]

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self.reader.count_field_bytes(end - start)
        self._value += data[start:end]

    def on_field_end(self) -> None:
        # as Starlette reads them: Latin-1 bytes, then percent-escapes as UTF-8
        name, value = unquote_plus(self._name.decode("latin-1")), unquote_plus(self._value.decode("latin-1"))
        self.reader.event(_Event("field", name, value))
