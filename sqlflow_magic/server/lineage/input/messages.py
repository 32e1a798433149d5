"""Parser errors in plain words: what sqlglot says, rewritten for the person who wrote the SQL.

sqlglot's messages name its own classes and tokens (``Expected table name but got <Token token_type:
TokenType.SENTINEL, ...>``, ``Required keyword: 'this' missing for <class 'sqlglot.expressions.Cast'>``).
The job's errors carry the plain message as ``errorMessage`` and sqlglot's own as ``parserMessage``.
"""

from __future__ import annotations

import re

#: Line breaks and other control characters: a message quoting text of the SQL must stay one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_TOKEN = re.compile(r"<Token token_type: TokenType\.(\w+), text: (.*?), line: \d+, col: \d+[^>]*>")
_CLASS = re.compile(r"<class 'sqlglot\.expressions(?:\.\w+)*\.(\w+)'>")
_REQUIRED = re.compile(r"Required keyword: '(\w+)' missing for (\w+)")
#: sqlglot's phrasing -> ours.
_PHRASES = (
    ("Expecting )", "a closing parenthesis ')' is missing"),
    ("Invalid expression / Unexpected token", "this word or symbol does not fit here"),
    ("Failed to parse any statement following CTE", "WITH ... AS (...) must be followed by a statement such as SELECT"),
    ("Expected table name", "a table name is missing"),
)


def plain_syntax_error(description: str, near: str) -> str:
    """``Syntax error near 'x': <what is wrong, in words>``."""
    text = _TOKEN.sub(lambda m: "the end of the statement" if m[1] == "SENTINEL" else repr(m[2]), description)
    text = _CLASS.sub(lambda m: _words(m[1]), text)
    text = _REQUIRED.sub(lambda m: f"{m[2]} is missing its {m[1] if m[1] != 'this' else 'main part'}", text)
    for theirs, ours in _PHRASES:
        text = text.replace(theirs, ours)
    text = text.replace(" but got ", ", found ")
    return f"Syntax error near {near[:40]!r}: {text}"


def _words(class_name: str) -> str:
    """``LateralView`` -> ``LATERAL VIEW``: a sqlglot expression class as the SQL keyword it stands for."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name).upper()


def one_line(text: str) -> str:
    """``text`` with its line breaks and control characters written as escapes (``\\n``, ``\\x00``): one line."""
    return _CONTROL.sub(lambda found: repr(found[0])[1:-1], text)
