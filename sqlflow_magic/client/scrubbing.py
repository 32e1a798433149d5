"""Scrubbing secrets out of what is shown: every form in which a server, a proxy or a log can give one back.

A :class:`Scrubber` is built once for a set of secrets (the secret key, tokens, database passwords, the
credentials of the base URL) and then masks, in any text, with ``********``:

* **each secret of 6 characters or more, by value**, in each of these forms (of its UTF-8 bytes where a
  form needs bytes):

  - raw;
  - URL-encoded and form-encoded: ``quote(s, safe="")``, ``quote(s)``, ``quote_plus(s)``, each with upper-
    and lower-case hex;
  - JSON-escaped: with and without ``ensure_ascii`` (``\\uXXXX``, in either case), with ``\\/`` for ``/``,
    and with the HTML-safe escapes of Java's JSON libraries (``\\u003d`` for ``=``, ...);
  - HTML-escaped (``&amp;``, ``&lt;``, ``&gt;``, ``&quot;`` or ``&#34;``, ``&#x27;``, ``&#39;`` or ``&apos;``),
    the raw and the JSON-escaped forms;
  - base64 and base64url of the raw, the URL-encoded and the form-encoded secret, at each of the three
    byte offsets at which a longer blob can hold it. The characters at its edges depend on the bytes
    around it, so what is looked for is the part that does not (the stable core of each alignment), and
    what is masked is the whole base64 run around it;

* **any credential shown as one, by pattern**, whoever's it is and however short: ``scheme://user:PW@host``
  and ``user:PW@host``, ``user/PW@host`` (``jdbc:oracle:thin:user/PW@...``, ``sqlplus user/PW@...``),
  ``password=PW`` (also ``pwd=``, ``passwd=``, ``passphrase=``, ``secretKey=``, ``token=``, ... and quoted
  values), ``"password": "PW"`` (JSON, escaped JSON, a Python repr, HTML-escaped quotes), a form field
  ``name="password"`` of a multipart body, ``Authorization: Basic ...`` and ``Bearer ...``. Only the PW
  part is masked, so the message stays readable.

A secret shorter than 6 characters is masked by pattern only: by value it would mask ordinary words
(a 3-letter password ``abc`` in "abc_table"). Patterns are looked for in plain text, not in encoded
forms, and base64 wrapped onto several lines is not recognised.

Scrubbing 1 MB takes milliseconds (``benchmarks/scrubbing.py``): the forms are found with ``str``
searches, the patterns only where one of their words occurs, and nothing is copied when nothing is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from .credential_patterns import pattern_spans
from .secret_forms import base64_cores, text_forms
from .secrets import MASK, Secret

#: Secrets shorter than this are masked by pattern only (see the module's docstring).
MIN_VALUE_LENGTH = 6

T = TypeVar("T")

#: A base64 or base64url run, to the right of a position (with its padding) and, reversed, to its left.
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]*=*")
_B64_RUN_BACK = re.compile(r"[A-Za-z0-9+/_-]*")
_PLAIN_RUN = re.compile(r"[A-Za-z0-9]+")


class Scrubber:
    """Masks a set of secrets in every form listed in the module's docstring, and credential patterns.

    Build it once per set of secrets (it computes every form then); calling it is cheap::

        scrub = Scrubber([settings.secret_key, token, password])
        message = scrub(message)

    ``None``, empty and short secrets are accepted: short ones are left to the patterns.
    """

    __slots__ = ("_count", "_groups")

    def __init__(self, secrets: Iterable[Secret | str | None] = ()) -> None:
        values = {s.reveal() if isinstance(s, Secret) else s for s in secrets if s}
        values = {value for value in values if len(value) >= MIN_VALUE_LENGTH}
        # Forms are grouped by a part they share, looked for first: one str search per group, not per form.
        # A secret's longest run of ASCII letters and digits is in each of its raw, URL, JSON and HTML forms
        # (none of them encodes those); a base64 core's in its base64 and base64url forms.
        groups: dict[tuple[str, bool], set[str]] = {}
        cores: set[str] = set()
        for value in values:
            forms = text_forms(value)
            shared = max(_PLAIN_RUN.findall(value), key=len, default="")
            for form in forms:
                groups.setdefault((shared if len(shared) >= 4 else _anchor_of(form), False), set()).add(form)
            cores |= base64_cores(value)
        for core in cores:
            groups.setdefault((_anchor_of(core), True), set()).add(core)
        self._groups = tuple((anchor, tuple(sorted(forms, key=len, reverse=True)), is_core)
                             for (anchor, is_core), forms in groups.items())
        self._count = len(values)

    def __repr__(self) -> str:
        return f"Scrubber({self._count} secrets by value, credential patterns)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Scrubber cannot be pickled")

    def __call__(self, text: str) -> str:
        """``text`` with every secret and credential masked (the same object when there is none)."""
        spans = self._spans(text)
        if not spans:
            return text
        pieces, done = [], 0
        for start, end in _merged(spans):
            pieces += [text[done:start], MASK]
            done = end
        pieces.append(text[done:])
        return "".join(pieces)

    def finds(self, text: str) -> bool:
        """Whether :meth:`__call__` would mask anything in ``text``."""
        return bool(self._spans(text))

    def data(self, value: T) -> T:
        """JSON-like ``value`` (dicts, lists, strings, numbers) with every string in it scrubbed, keys
        included; ``value`` itself when there is nothing to mask (checked in one pass)."""
        strings: list[str] = []
        _collect(value, strings)
        if not strings or not self.finds("\x00".join(strings)):
            return value
        rebuilt: T = self._rebuilt(value)
        return rebuilt

    def _rebuilt(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self._rebuilt(k): self._rebuilt(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._rebuilt(v) for v in value)
        return value

    # --- finding ------------------------------------------------------------------------------

    def _spans(self, text: str) -> list[tuple[int, int]]:
        return self._value_spans(text) + pattern_spans(text)

    def _value_spans(self, text: str) -> list[tuple[int, int]]:
        spans = []
        reversed_text = None
        for anchor, forms, is_core in self._groups:
            if anchor not in text:
                continue
            for form in forms:
                for start, end in _occurrences(text, form):
                    if not is_core:
                        spans.append((start, end))
                        continue
                    if reversed_text is None:
                        reversed_text = text[::-1]
                    left = _B64_RUN_BACK.match(reversed_text, len(text) - start)
                    right = _B64_RUN.match(text, end)
                    spans.append((start - (left.end() - left.start() if left else 0), right.end() if right else end))
        return spans


def _anchor_of(form: str) -> str:
    """The longest run of ASCII letters and digits in ``form`` (``form`` itself if it has none)."""
    return max(_PLAIN_RUN.findall(form), key=len, default=form)


def _occurrences(text: str, form: str) -> list[tuple[int, int]]:
    found = []
    at = text.find(form)
    while at != -1:
        found.append((at, at + len(form)))
        at = text.find(form, at + 1)
    return found




def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one, in order: one mask each."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _collect(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(key, into)
            _collect(item, into)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, into)


def url_credentials(url: str) -> list[str]:
    """The user and password of ``url``'s userinfo (``https://user:pw@host``), raw and percent-decoded."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return []
    found = [part for part in (parts.username, parts.password) if part]
    return [*found, *(unquote(part) for part in found)]
