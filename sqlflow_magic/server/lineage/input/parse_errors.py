"""What a failed parse becomes: the offending token found, a ``Failure`` with a plain-words message.

Also the other side, a parse that succeeds but not as the statement the author wrote: a statement's
prefix (``INSERT INTO t``) parses (``docs/engine.md#trap-13-a-statements-prefix-parses-too``), and so
does a misspelt keyword, as a value (:func:`not_a_statement`).
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


#: What a :func:`not_a_statement` error says after where it is.
NOT_A_STATEMENT = "not a statement (sqlglot read it as a value); check the spelling of its first keyword"


def not_a_statement(expression: exp.Expr, in_block: bool) -> bool:
    """A whole "statement" that parses as a value, not a statement: a misspelt keyword reads as a name
    (``SELEC * FRM t`` is the column ``SELEC`` times the column ``FRM``, aliased ``t``), and sqlglot
    takes any value for a statement (``docs/engine.md#trap-21-a-misspelt-keyword-parses-as-a-value``).

    Not such: a call (:func:`is_call`), an assignment (``x := 1``; in a block also PL/pgSQL's ``x = 1``)
    and, in a block, a bare word of control flow (``RETURN``, ``BREAK``, PL/SQL's ``NULL``)."""
    if not isinstance(expression, (exp.Condition, exp.Alias)) or is_call(expression, in_block):
        return False
    if in_block and isinstance(expression, (exp.Column, exp.Null, exp.EQ)):
        return False
    return not isinstance(expression, exp.PropertyEQ)


def is_call(expression: exp.Expr, in_block: bool) -> bool:
    """A procedure called without ``CALL`` or ``EXEC``: a function call (``dbms_output.put_line('x')``) or,
    outside a block, a bare name (T-SQL's ``sp_who``); in a block a bare word is control flow (``RETURN``)."""
    return isinstance(expression, (exp.Func, exp.Dot)) or (isinstance(expression, exp.Column) and not in_block)


def not_a_statement_failure(expression: exp.Expr, tokens: list[Token], base: int) -> Failure:
    """The ``SyntaxError`` of :func:`not_a_statement`, at the value's first name (positions from ``base``)."""
    starts = [name.meta["start"] for name in expression.find_all(exp.Identifier) if "start" in name.meta]
    first = min(starts, default=None)
    token = next((token for token in tokens if token.start == first), tokens[0])
    return Failure(f"Syntax error near {token.text[:40]!r}: {NOT_A_STATEMENT}", "SyntaxError", base + token.start,
                   base + token.end + 1)


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
