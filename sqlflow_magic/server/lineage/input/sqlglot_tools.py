"""sqlglot's dialect, tokenizer and parser, made once per thread and dialect.

``docs/engine.md#dialect-objects-per-call`` says why.
"""

from __future__ import annotations

import threading

from sqlglot import Tokenizer, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.parser import Parser

_TOOLS = threading.local()


def sqlglot_tools(dialect_name: str) -> tuple[Dialect, Tokenizer, Parser]:
    """sqlglot's dialect, tokenizer and parser for ``dialect_name``, made once per thread.

    Making them costs more than parsing a short statement; a tokenizer and a parser reset
    themselves on every call, and one thread never runs two calls at once.
    """
    tools: dict[str, tuple[Dialect, Tokenizer, Parser]] | None = getattr(_TOOLS, "by_name", None)
    if tools is None:
        tools = _TOOLS.by_name = {}
    found = tools.get(dialect_name)
    if found is None:
        dialect = Dialect.get_or_raise(dialect_name)
        found = tools[dialect_name] = (dialect, dialect.tokenizer(), dialect.parser())
    return found


def parse_statements(dialect_name: str, sql: str) -> list[exp.Expr | None]:
    """``Dialect.parse(sql)`` with this thread's tokenizer and parser for ``dialect_name``.

    ``Dialect.parse`` makes a tokenizer and a parser for every call, which costs half as much again as
    parsing a short statement such as the first pass's ``CREATE TABLE`` heads and ``USE`` lines.
    """
    _, tokenizer, parser = sqlglot_tools(dialect_name)
    return parser.parse(tokenizer.tokenize(sql), sql)
