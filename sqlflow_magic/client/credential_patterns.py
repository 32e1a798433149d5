"""Credentials shown as credentials, found by pattern whoever's they are and however short.

``scheme://user:PW@host``, ``user/PW@host`` (JDBC, sqlplus), ``password=PW``, ``"password": "PW"``, a multipart
field, ``Authorization`` and ``Bearer``: the list is in the docstring of :mod:`sqlflow_magic.client.scrubbing`.
Each rule is tried only where one of its anchor words occurs, so text without any costs a few ``str`` searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["pattern_spans"]

_KEYS = r"(?i:password|passwd|passphrase|pwd|secret|token)[\w.-]*"
_KEY_WORDS = ("pass", "pwd", "secret", "token")
_QUOTE = r"""(?P<q>\\*["']|&quot;|&\#34;|&\#x22;|&\#39;|&\#x27;)"""


@dataclass(frozen=True)
class _Rule:
    """A credential pattern: tried where one of its ``anchors`` (lower case) occurs. A forward rule's
    ``regex`` is matched at the anchor; a backward one is matched, reversed, on the reversed text from
    the anchor on (its anchor is the pattern's last character). Groups named ``v...`` are masked."""

    anchors: tuple[str, ...]
    regex: re.Pattern[str]
    backward: bool = False


_RULES = (
    # password=PW, secretKey=PW, token='PW' (a query, a form body, a JDBC or ODBC property, a Java map)
    _Rule(_KEY_WORDS, re.compile(
        _KEYS + r"""=(?:(?P<q>["'])(?P<vq>[^\r\n]*?)(?P=q)|(?P<v>[^\s&;,'"<>()\[\]{}\\]+))""")),
    # "password": "PW" in JSON, in JSON inside a string (\"), in a Python repr ('), HTML-escaped (&quot;)
    _Rule(_KEY_WORDS, re.compile(
        _KEYS + _QUOTE + r"""\s*[:=]\s*(?:(?P=q)(?P<vq>(?:\\.|[^\\\r\n])*?)(?P=q)|(?P<v>(?![{\[])[^\s,;}\]'"&]+))""")),
    # a multipart form field: name="password", an empty line, the value
    _Rule(_KEY_WORDS, re.compile(_KEYS + r'"\r?\n\r?\n(?P<v>[^\r\n]+)')),
    _Rule(("authorization",), re.compile(
        r"""(?i:authorization)(?P<q>\\*["'])?\s*[:=]\s*(?P=q)?(?:(?i:basic|bearer|token|digest)\s+)?"""
        r"""(?P<v>[^\s"'<>,;\\]+)""")),
    _Rule(("bearer",), re.compile(r"Bearer\s+(?P<v>[A-Za-z0-9._~+/-]{16,}=*)")),
    # Read backwards from the @, reversed: user:PW@host and scheme://user:PW@host; and user/PW@host after
    # a colon or Oracle's words, as in jdbc:oracle:thin:scott/PW@host:1521:orcl, sqlplus scott/PW@orcl,
    # connect scott/PW@orcl (not "sales/support@example.com").
    _Rule(("@",), re.compile(r"""@(?:(?P<v>[^\s/?#@'"<>\\]+):(?P<user>[\w.%+~-]+)(?![\w.%+~-])"""
                             r"""|(?P<v2>[^\s/@'"<>\\]+)/[\w$#.-]+(?=:|\s+(?i:sulplqs|tcennoc|nnoc)(?!\w)))"""),
          backward=True),
)
_ANCHORS: dict[str, tuple[_Rule, ...]] = {}
for _rule in _RULES:
    for _anchor in _rule.anchors:
        _ANCHORS[_anchor] = (*_ANCHORS.get(_anchor, ()), _rule)
_ANCHOR_SEARCH = re.compile("|".join(re.escape(anchor) for anchor in _ANCHORS), re.IGNORECASE)
#: What may follow the @ of user:PW@host: a host name, an IPv6 address in brackets, or Oracle's //host and
#: (DESCRIPTION=...).
_HOST_START = re.compile(r"[\w\[/(]")


def _anchor_positions(text: str) -> Iterable[tuple[str, int]]:
    """Each anchor word and where it occurs in ``text``, in any case."""
    lower = text.lower()
    if len(lower) == len(text):  # positions agree: one str search per anchor
        for anchor in _ANCHORS:
            at = lower.find(anchor)
            while at != -1:
                yield anchor, at
                at = lower.find(anchor, at + 1)
    else:  # a character whose lower case is longer (İ): find them in the text itself
        for match in _ANCHOR_SEARCH.finditer(text):
            yield match.group().lower(), match.start()


def pattern_spans(text: str) -> list[tuple[int, int]]:
    """Where the credential parts (the PW) of the patterns are in ``text``, as ``(start, end)`` spans."""
    spans = []
    reversed_text = None
    for anchor, at in _anchor_positions(text):
        for rule in _ANCHORS[anchor]:
            if not rule.backward:
                match = rule.regex.match(text, at)
                if match:
                    spans += [match.span(name) for name, value in match.groupdict().items()
                              if name.startswith("v") and value]
                continue
            if not _HOST_START.match(text, at + 1):
                continue
            if reversed_text is None:
                reversed_text = text[::-1]
            match = rule.regex.match(reversed_text, len(text) - 1 - at)
            if match and (match.group("user") or "")[::-1].lower() != "mailto":
                for name in ("v", "v2"):
                    if match.group(name):
                        start, end = match.span(name)
                        spans.append((len(text) - end, len(text) - start))
    return spans
