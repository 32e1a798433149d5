"""python-multipart's callbacks for a request body, turned into the events a body reader handles in order.

The parsers call these as they parse a chunk; the callbacks check the text limits at once (through the
reader's ``count_field`` and ``count_field_bytes``) and queue a :class:`BodyEvent` for each thing found,
which the reader (``server/body_reader.py``) handles on the event loop once the chunk is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote_plus

from python_multipart.multipart import parse_options_header

from sqlflow_magic.server.responses import BAD_REQUEST, Rejection

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks, QuerystringCallbacks

__all__ = ["BodyEvent", "EventSink", "MultipartEvents", "UrlencodedEvents"]


@dataclass(frozen=True)
class BodyEvent:
    """What the parser found, handled in order once a chunk is parsed: a text field, a file part's start,
    some of its data, or its end."""

    kind: str  # "field", "file", "data" or "end"
    name: str = ""
    text: str = ""
    data: bytes | memoryview = b""


class EventSink(Protocol):
    """What the callbacks report to: a :class:`~sqlflow_magic.server.body_reader.BodyReader`."""

    def event(self, event: BodyEvent) -> None: ...

    def count_field(self) -> None: ...

    def count_field_bytes(self, size: int) -> None: ...


def _text(data: bytes, charset: str) -> str:
    """A field's bytes as text: in the body's charset, else Latin-1 (as Starlette reads them)."""
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


class MultipartEvents:
    """python-multipart's callbacks for a multipart body: part headers read, fields collected, file data passed on."""

    def __init__(self, reader: EventSink, charset: str) -> None:
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
            self.reader.event(BodyEvent("file", self._name, _text(options[b"filename"], self.charset)))
        else:
            self.reader.count_field()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.reader.event(BodyEvent("data", data=memoryview(data)[start:end]))
        else:
            self.reader.count_field_bytes(end - start)
            self._data += data[start:end]

    def on_part_end(self) -> None:
        if self._is_file:
            self.reader.event(BodyEvent("end"))
        else:
            self.reader.event(BodyEvent("field", self._name, _text(bytes(self._data), self.charset)))


class UrlencodedEvents:
    """python-multipart's callbacks for an urlencoded body: every field is text."""

    def __init__(self, reader: EventSink) -> None:
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
        self.reader.event(BodyEvent("field", name, value))
