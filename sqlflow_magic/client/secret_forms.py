"""The encoded forms of one secret that a :class:`~sqlflow_magic.client.scrubbing.Scrubber` looks for.

Raw, URL- and form-encoded, JSON-escaped, HTML-escaped, and the stable cores of its base64 and base64url
forms at each byte offset: the list, and why, is in the docstring of :mod:`sqlflow_magic.client.scrubbing`.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
from urllib.parse import quote, quote_plus

__all__ = ["base64_cores", "text_forms", "url_forms"]

_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}|\\u[0-9a-fA-F]{4}")
#: The characters Java's JSON libraries (Gson, Jackson with HTML-safe output) write as ``\\uXXXX``.
_HTML_SAFE_JSON = "<>&='"
_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _lower_hex(text: str) -> str:
    return _HEX_ESCAPE.sub(lambda m: m.group().lower(), text)


def _upper_hex(text: str) -> str:
    return _HEX_ESCAPE.sub(lambda m: m.group()[:2] + m.group()[2:].upper(), text)


def _json_escaped(value: str, *, ascii_only: bool, slash: bool, html_safe: bool) -> str:
    out = []
    for char in value:
        code = ord(char)
        if char in _JSON_SHORT:
            out.append(_JSON_SHORT[char])
        elif code < 0x20 or (html_safe and char in _HTML_SAFE_JSON):
            out.append(f"\\u{code:04x}")
        elif slash and char == "/":
            out.append("\\/")
        elif ascii_only and code > 0x7F:
            units = char.encode("utf-16-be")  # a character past U+FFFF is a surrogate pair
            out.extend(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))
        else:
            out.append(char)
    return "".join(out)


def _html_escaped(value: str) -> set[str]:
    plain = html.escape(value, quote=False)
    if '"' not in value and "'" not in value:
        return {plain}
    return {plain.replace('"', double).replace("'", single)
            for double, single in itertools.product(('"', "&quot;", "&#34;"), ("'", "&#x27;", "&#39;", "&apos;"))}


def url_forms(value: str) -> set[str]:
    """``value`` URL-encoded (``quote`` with ``safe`` "" and "/") and form-encoded (``quote_plus``), upper-case hex."""
    return {quote(value, safe=""), quote(value), quote_plus(value, safe=""), quote_plus(value)}


def text_forms(value: str) -> set[str]:
    """Every textual form of ``value`` that is looked for: raw, URL-, form-, JSON- and HTML-encoded, and the
    JSON-escaped forms HTML-escaped (a JSON echo shown in a page)."""
    forms = {value}
    for quoted in url_forms(value):
        forms.update((quoted, _lower_hex(quoted)))
    json_forms: set[str] = set()
    for ascii_only, slash, html_safe in itertools.product((False, True), repeat=3):
        escaped = _json_escaped(value, ascii_only=ascii_only, slash=slash, html_safe=html_safe)
        json_forms.update((escaped, _upper_hex(escaped)))
    forms |= json_forms
    for form in {value, *json_forms}:
        forms |= _html_escaped(form)
    return forms


def base64_cores(value: str) -> set[str]:
    """The stable cores of ``value``'s base64 and base64url forms (of its raw and URL-encoded bytes), at the
    three byte offsets modulo 3 at which a blob can hold it: the characters that only its own bytes decide."""
    cores: set[str] = set()
    for source in {value, quote(value, safe=""), quote_plus(value, safe="")}:
        data = source.encode("utf-8")
        for offset in range(3):
            encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
            first = -(-8 * offset // 6)  # the first character that holds none of the preceding bytes' bits
            last = 8 * (offset + len(data)) // 6  # past the last one that holds none of the following bytes'
            core = encoded[first:last]
            cores.update((core, core.translate(_URLSAFE)))
    return cores


_URLSAFE = str.maketrans("+/", "-_")
