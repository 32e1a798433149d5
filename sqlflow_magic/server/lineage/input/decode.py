"""Turn uploaded bytes into SQL text, reporting (never raising on) binary or badly encoded input."""

from __future__ import annotations

import codecs

from sqlflow_magic.server.lineage.model import SqlSource

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Share of NUL and other control bytes above which a file is taken for binary.
_BINARY_SHARE = 0.1
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte in _CONTROL)
    return controls > _BINARY_SHARE * len(sample)


def decode_sql(data: bytes, name: str = "query.sql") -> SqlSource:
    """Decode a SQL file's bytes: a BOM's encoding, else UTF-8, else UTF-8 with replacement characters.

    Binary content yields an empty text; both cases set ``decode_error``, which
    :func:`~sqlflow_magic.server.lineage.analyze` reports as a ``DecodeError``.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return SqlSource(name, data[len(bom) :].decode(encoding))
            except UnicodeDecodeError as exc:
                return SqlSource(name, "", f"{name}: not valid {encoding} despite its byte order mark ({exc})")
    if _looks_binary(data):
        return SqlSource(name, "", f"{name}: binary content, not SQL text; the file was skipped")
    try:
        return SqlSource(name, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        return SqlSource(
            name,
            text,
            f"{name}: not valid UTF-8 (first bad byte at offset {exc.start}); "
            "undecodable bytes were replaced by U+FFFD",
        )
