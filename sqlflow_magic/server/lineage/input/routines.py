"""Routine headers (``CREATE PROCEDURE``, ``FUNCTION``, ``TRIGGER``, ``PACKAGE``) and whether sqlglot read a body whole.

A statement inside a routine's body is reported with the routine it belongs to: SQLFlow emits one
``procedure`` (``function``, ``trigger``) object per routine and names it in the ``procedureName``
of each process of its body (``batchQueries`` outside routines).
"""

from __future__ import annotations

from dataclasses import dataclass

# Token and TokenType live in sqlglot.tokenizer_core; the package re-exports them.
from sqlglot import Token, TokenType, exp

_LITERALS = frozenset({TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.NUMBER})
#: Routine words after CREATE and the object type SQLFlow gives the routine.
_KINDS = {"PROCEDURE": "procedure", "PROC": "procedure", "FUNCTION": "function", "TRIGGER": "trigger",
          "PACKAGE": "package"}  # fmt: skip
#: Words between CREATE and the routine word (``CREATE OR REPLACE EDITIONABLE PROCEDURE``, ``CREATE OR ALTER``).
_MODIFIERS = frozenset({"OR", "REPLACE", "ALTER", "EDITIONABLE", "NONEDITIONABLE", "TEMPORARY", "TEMP", "SECURE",
                        "CONSTRAINT", "AGGREGATE", "DEFINER", "=", "@", "."})  # fmt: skip
#: Statements sqlglot returns for a statement of a body it did read.
_READ_STATEMENTS = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Query, exp.Create, exp.MultitableInserts)


@dataclass(frozen=True)
class Routine:
    """A routine whose body holds statements: its SQLFlow object type, its name as written, where that is."""

    kind: str
    name: str
    start: int
    end: int

    def moved(self, offset: int) -> Routine:
        """The same routine, its name ``offset`` characters further in the file."""
        return Routine(self.kind, self.name, self.start + offset, self.end + offset)


def _word(token: Token) -> str:
    return "" if token.token_type in _LITERALS else token.text.upper()


def routine_header(tokens: list[Token], base: int) -> Routine | None:
    """The routine ``tokens`` create (``CREATE OR REPLACE PROCEDURE dbo.p ...``), or ``None``.

    ``PACKAGE BODY pk`` is the package ``pk``; the offsets are ``base`` plus the tokens' own.
    """
    if len(tokens) > 3 and _word(tokens[0]) == "DELIMITER":  # MySQL's ``DELIMITER //`` before the routine
        tokens = tokens[next((i for i in range(1, 4) if _word(tokens[i]) == "CREATE"), 0) :]
    if not tokens or _word(tokens[0]) != "CREATE":
        return None
    index = 1
    while index < len(tokens) and _word(tokens[index]) not in _KINDS:
        if index > 8 or (_word(tokens[index]) not in _MODIFIERS and tokens[index].token_type != TokenType.VAR
                         and tokens[index].token_type != TokenType.IDENTIFIER):
            return None
        index += 1
    if index >= len(tokens) - 1:
        return None
    kind = _KINDS[_word(tokens[index])]
    index += 1
    if kind == "package" and _word(tokens[index]) == "BODY" and index + 1 < len(tokens):
        index += 1
    return _name_at(tokens, index, kind, base)


def member_header(tokens: list[Token], package: Routine, base: int) -> Routine | None:
    """A procedure or function of a PL/SQL package body (``PROCEDURE a IS ...``), named ``package.a``.

    A member starts its chunk, or follows the package's ``AS`` in the package's first chunk.
    """
    for index in range(len(tokens) - 1):
        if _word(tokens[index]) in ("PROCEDURE", "FUNCTION") and (
            index == 0 or _word(tokens[index - 1]) in ("AS", "IS")
        ):
            member = _name_at(tokens, index + 1, _KINDS[_word(tokens[index])], base)
            if member is None:
                return None
            return Routine(member.kind, f"{package.name}.{member.name}", member.start, member.end)
        if index > 0 and _word(tokens[0]) != "CREATE":
            return None
    return None


def _name_at(tokens: list[Token], index: int, kind: str, base: int) -> Routine | None:
    """The dotted name starting at ``tokens[index]`` (``db.schema.name``)."""
    first = last = index
    while last + 2 < len(tokens) and tokens[last + 1].token_type == TokenType.DOT:
        last += 2
    if tokens[first].token_type in (TokenType.L_PAREN, TokenType.SEMICOLON, TokenType.STRING):
        return None
    name = ".".join(tokens[i].text for i in range(first, last + 1, 2))
    return Routine(kind, name, base + tokens[first].start, base + tokens[last].end + 1)


def body_start(tokens: list[Token]) -> int | None:
    """Index of the first token after a T-SQL routine header's ``AS`` (outside parentheses), if any.

    ``CREATE PROCEDURE p @d int AS SET NOCOUNT ON INSERT ...`` without ``BEGIN``: the body is the
    rest of the batch.
    """
    depth = 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif depth == 0 and _word(token) == "AS":
            return index + 1 if index + 1 < len(tokens) else None
    return None


def body_read_whole(expressions: list[exp.Expr], statement_chunks: int) -> bool:
    """Whether sqlglot's reading of a whole block kept every statement of it.

    sqlglot reads some bodies wrongly without an error: Oracle's ``PROCEDURE p IS BEGIN INSERT ...``
    becomes an alias ``IS AS BEGIN`` and the INSERT disappears. A reading is kept only when it holds
    no generic ``Command`` and at least as many statements as the block has chunks that start one.
    """
    found = 0
    pending = list(expressions)
    while pending:
        node = pending.pop()
        if isinstance(node, exp.Command):
            return False
        inner = _inner_statements(node)
        if inner is not None:
            pending.extend(inner)
        elif isinstance(node, _READ_STATEMENTS):
            found += 1
    return found >= statement_chunks


def _inner_statements(node: exp.Expr) -> list[exp.Expr] | None:
    if isinstance(node, exp.Block):
        return list(node.expressions)
    if isinstance(node, exp.IfBlock):
        return [branch for branch in (node.args.get("true"), node.args.get("false")) if branch]
    if isinstance(node, exp.Create) and node.expression is not None and str(node.args.get("kind")).upper() in (
        "PROCEDURE", "FUNCTION", "TRIGGER"
    ):  # fmt: skip
        body = node.expression
        if isinstance(body, (exp.Block, exp.Command)):
            return [body]
        return []
    return None
