"""What a failed parse becomes: the offending token found, a ``Failure`` with a plain-words message.

Also the other side of a parse that succeeds too early: a statement's prefix (``INSERT INTO t``) parses,
but is not the statement the author wrote (``docs/engine.md#trap-13-a-statements-prefix-parses-too``).
"""

from __future__ import annotations

import re

# Token lives in sqlglot.tokenizer_core; the package re-exports it.
from sqlglot import Token, exp
from sqlglot.errors import ParseError

from sqlflow_magic.server.lineage.input.messages import plain_syntax_error
from sqlflow_magic.server.lineage.input.scanning import Failure


def incomplete(expression: exp.Expr) -> bool:
    """A prefix such as ``INSERT INTO t`` parses, but is not the statement the author wrote."""
    if isinstance(expression, exp.Insert):
        return expression.expression is None
    return isinstance(expression, exp.Update) and not expression.expressions


def error_token_index(error: Exception, tokens: list[Token]) -> int:
    """The index of the token sqlglot's error names (by line and column), else the last token's."""
    details = error.errors[0] if isinstance(error, ParseError) and error.errors else {}
    line, column = details.get("line"), details.get("col")
    for index, token in enumerate(tokens):
        if token.line == line and token.col == column:
            return index
    return len(tokens) - 1


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # sqlglot underlines the offending token for terminals


def syntax_failure(error: Exception, tokens: list[Token], index: int, base: int) -> Failure:
    """A ``SyntaxError`` failure at token ``index``, its message in plain words (positions from ``base``)."""
    token = tokens[min(index, len(tokens) - 1)]
    if isinstance(error, ParseError) and error.errors:
        description = error.errors[0].get("description") or "invalid syntax"
    else:
        description = f"{type(error).__name__}: {error}"[:300]
    return Failure(
        plain_syntax_error(description, token.text),
        "SyntaxError",
        base + token.start,
        base + token.end + 1,
        raw=_ANSI.sub("", f"{type(error).__name__}: {error}")[:1000],
    )
