"""Split a SQL script into statements and parse each one on its own, so one bad statement costs only itself.

The script is cut into tokenized pieces by :mod:`~sqlflow_magic.server.lineage.input.scanning`, the
tokens are split at semicolons, ``BEGIN ... END`` blocks are kept together, and every statement is
parsed separately. A statement that fails is retried split before statement keywords (T-SQL scripts
often have no semicolons) and otherwise reported with its position. The sqlglot behaviours this works
around are traps 2, 3, 12, 13 and 14 of ``docs/engine.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Final

# Token and TokenType live in sqlglot.tokenizer_core; the package re-exports them.
from sqlglot import Token, TokenType, exp

from sqlflow_magic.server.lineage.deadline import Deadline
from sqlflow_magic.server.lineage.input.chunking import group_blocks, split_chunks, statement_chunks, with_semicolons
from sqlflow_magic.server.lineage.input.dialects import DialectChoice
from sqlflow_magic.server.lineage.input.parse_errors import (
    error_token_index,
    incomplete,
    not_a_statement,
    not_a_statement_failure,
    syntax_failure,
)
from sqlflow_magic.server.lineage.input.procedural import (
    block_depth_change,
    block_statements,
    declared_names,
    may_hold_blocks,
    starts_line_statement,
    statement_starts,
    values_head,
)
from sqlflow_magic.server.lineage.input.routines import (
    Routine,
    body_read_whole,
    body_start,
    member_header,
    routine_header,
)
from sqlflow_magic.server.lineage.input.scanning import Failure, Scanner, last_semicolon
from sqlflow_magic.server.lineage.input.sqlglot_tools import sqlglot_tools
from sqlflow_magic.server.lineage.input.token_rewrites import rewrite_tokens

_NEXT_STATEMENT = re.compile(
    r"\n[ \t]*((?:INSERT|UPDATE|DELETE|MERGE|SELECT|WITH|CREATE|ALTER|DROP|TRUNCATE|EXEC|EXECUTE|DECLARE"
    r"|SET|IF|BEGIN|PRINT|USE|RAISERROR|RETURN|GRANT)\b)",
    re.IGNORECASE,
)
_SPLIT_TRIES = 3
#: Statements longer than this are not parsed (a data dump's INSERT ... VALUES is cut short first).
MAX_STATEMENT_TOKENS = 500_000
_VALUES_SHORTCUT_TOKENS = 2_000


class Statement:
    """A parsed statement; node positions (``meta``) are relative to ``base`` in the file text.

    A plain class, not a dataclass: one is made per statement, and compiled (``setup.py``) only a
    class's own ``__init__`` runs as native code. Read-only (``Final``): :meth:`moved` makes another.
    """

    def __init__(
        self,
        expression: exp.Expr,
        base: int,
        start: int,
        end: int,
        in_block: bool = False,
        note: str | None = None,
        variables: frozenset[str] = frozenset(),
        routine: Routine | None = None,
    ) -> None:
        self.expression: Final = expression
        self.base: Final = base
        self.start: Final = start
        self.end: Final = end
        self.in_block: Final = in_block
        self.note: Final = note
        #: Lower-case names of the enclosing procedural block's variables and parameters.
        self.variables: Final = variables
        #: The procedure, function or trigger whose body holds the statement.
        self.routine: Final = routine

    def moved(self, offset: int, in_block: bool, routine: Routine | None) -> Statement:
        """The statement of a text that sits at ``offset`` of its file (a routine's body kept as a string):
        in a block if either is, and in its own routine (moved too), else in ``routine``."""
        return Statement(
            self.expression, self.base + offset, self.start + offset, self.end + offset,
            in_block or self.in_block, self.note, self.variables,
            self.routine.moved(offset) if self.routine else routine,
        )  # fmt: skip


class ScriptParser:
    """Parses the scripts of one dialect; see the module docstring for the strategy."""

    def __init__(self, choice: DialectChoice, deadline: Deadline) -> None:
        self._choice = choice
        self.dialect, tokenizer, self._parser = sqlglot_tools(choice.dialect)
        self._deadline = deadline
        self._headers = choice.dialect != "tsql"
        # a function of its own, not a bound method: the scanner must not refer back to this parser (a
        # cycle only the collector frees; docs/engine.md, "An analysis is freed as soon as it is let go")
        cut = partial(balanced_cut, headers=self._headers)
        self._scanner = Scanner(tokenizer, choice.batch_separator, deadline, cut)
        self._open_routine = False

    @property
    def ended_cleanly(self) -> bool:
        """Whether the text :meth:`parse` last read ended at a statement boundary (see ``Scanner``), outside
        a T-SQL routine body that runs to the end of its batch."""
        return self._scanner.ended_cleanly and not self._open_routine

    def parse(self, text: str) -> Iterator[Statement | Failure]:
        """Statements and failures of ``text``, in order of appearance."""
        batch, routine = -1, None
        for item in self._scanner.scan(text):
            if isinstance(item, Failure):
                yield item
                continue
            if item.batch != batch:  # a T-SQL body without BEGIN ... END runs to the end of its batch
                batch, routine = item.batch, None
            for group in group_blocks(split_chunks(item.tokens), self._headers):
                self._deadline.check()
                for parsed in self._parse_group(group, item.text, item.base, routine):
                    if isinstance(parsed, _BatchRoutine):
                        routine = parsed.routine
                    else:
                        yield parsed
        self._open_routine = routine is not None

    def _parse_group(
        self, group: list[list[Token]], piece: str, base: int, batch_routine: Routine | None
    ) -> Iterator[Statement | Failure | _BatchRoutine]:
        """The statements of one chunk, or of a ``BEGIN ... END`` block (a routine, an anonymous block)."""
        routine = routine_header(group[0], base)
        if len(group) == 1:
            if routine is not None and not self._headers:
                yield from self._tsql_routine(group[0], piece, base, routine)
                return
            yield from self._parse_single(group[0], piece, base, in_block=False, routine=routine or batch_routine)
            return
        tokens = [token for chunk in group for token in chunk]
        try:
            expressions = self._parse_tokens(with_semicolons(group), piece)
        except Exception:
            expressions = None
        if expressions is not None and body_read_whole(expressions, statement_chunks(group)):
            expressions = [e for e in expressions if not isinstance(e, exp.EndStatement)]
            start, end = base + tokens[0].start, base + tokens[-1].end + 1
            for expression in expressions:
                yield Statement(expression, base, start, end, routine=routine or batch_routine)
            if routine is not None and not self._headers:
                yield _BatchRoutine(routine)
            return
        yield Failure(
            "Procedural block analysed statement by statement: its control flow, variables and parameters were skipped",
            "ProceduralCode",
            base + tokens[0].start,
            base + tokens[-1].end + 1,
        )
        variables = declared_names(group)
        current = routine or batch_routine
        for chunk in group:
            if routine is not None and routine.kind == "package":
                current = member_header(chunk, routine, base) or current
            for statement_tokens in block_statements(chunk):
                yield from self._parse_single(
                    statement_tokens, piece, base, in_block=True, variables=variables, routine=current
                )
        if routine is not None and not self._headers:
            yield _BatchRoutine(routine)

    def _tsql_routine(
        self, tokens: list[Token], piece: str, base: int, routine: Routine
    ) -> Iterator[Statement | Failure | _BatchRoutine]:
        """A T-SQL routine in one chunk: read whole when sqlglot can, else its header is skipped and
        its body (the rest of the batch, without ``BEGIN ... END``) analysed statement by statement."""
        try:
            expressions = self._parse_tokens(tokens, piece)
        except Exception:
            expressions = None
        if expressions is not None and body_read_whole(expressions, 0):
            yield from _statements(expressions, tokens, base, False, None, routine=routine)
            yield _BatchRoutine(routine)
            return
        start = body_start(tokens)
        header = tokens if start is None else tokens[:start]
        message = f"{routine.kind} {routine.name}: header skipped, body analysed statement by statement"
        yield Failure(message, "ProceduralCode", base + header[0].start, base + header[-1].end + 1)
        if start is not None:
            yield from self._parse_single(tokens[start:], piece, base, in_block=True, routine=routine)
        yield _BatchRoutine(routine)

    def _parse_single(
        self,
        tokens: list[Token],
        piece: str,
        base: int,
        *,
        in_block: bool,
        variables: frozenset[str] = frozenset(),
        routine: Routine | None = None,
    ) -> Iterator[Statement | Failure]:
        if len(tokens) > MAX_STATEMENT_TOKENS:
            tokens = values_head(tokens)
            if len(tokens) > MAX_STATEMENT_TOKENS:
                message = f"statement of {len(tokens):,} tokens not analysed (limit {MAX_STATEMENT_TOKENS:,})"
                yield Failure(message, "LimitExceeded", base + tokens[0].start, base + tokens[-1].end + 1)
                return
        elif len(tokens) > _VALUES_SHORTCUT_TOKENS:
            tokens = values_head(tokens)
        pending = [tokens]
        while pending:
            tokens, note = self._rewrite(pending.pop(), piece)
            tokens, hint = rewrite_tokens(tokens, piece, self._choice.dialect)
            note = note or hint
            start = 0
            while start < len(tokens):
                self._deadline.check()
                part = tokens[start:]
                try:
                    expressions = self._parse_tokens(part, piece)
                except Exception as exc:
                    error_index = error_token_index(exc, part)
                    split = self._split_before(part, error_index, piece)
                    if split is not None:
                        length, expressions = split
                        yield from _statements(expressions, part[:length], base, in_block, note, variables, routine)
                        start += length
                        continue
                    yield syntax_failure(exc, part, error_index, base)
                    following = [k for k in statement_starts(part) if k > error_index]
                    if not following:
                        break
                    start += following[0]
                    continue
                command_split = self._split_command(part, expressions, piece)
                if command_split is not None:
                    part, tail = command_split
                    pending.append(tail)
                    expressions = [exp.Command(this=part[0].text.upper())]
                yield from _statements(expressions, part, base, in_block, note, variables, routine)
                break

    def _split_command(
        self, part: list[Token], expressions: list[exp.Expr], piece: str
    ) -> tuple[list[Token], list[Token]] | None:
        """A command (``PRINT 'x'``) swallows the rest of its chunk; without semicolons that may be
        more statements (T-SQL): split before the first line that starts a statement."""
        if len(expressions) != 1 or not isinstance(expressions[0], exp.Command) or len(part) < 2:
            return None
        if len(part) > 2:  # the command kept its tokens: split before a statement word starting a line
            for index in range(1, len(part)):
                if starts_line_statement(part, index):
                    return part[:index], part[index:]
            return None
        first, rest = part
        if rest.token_type != TokenType.STRING or "\n" not in rest.text:
            return None
        rest_start = piece.find(rest.text, first.end + 1)
        match = _NEXT_STATEMENT.search(rest.text)
        if rest_start == -1 or match is None:
            return None
        split, end = rest_start + match.start(1), rest_start + len(rest.text)
        head = self._scanner.tokenize_at(piece[first.start : split], first.start)
        tail = self._scanner.tokenize_at(piece[split:end], split)
        return (head, tail) if head and tail else None

    def _split_before(self, part: list[Token], error_index: int, piece: str) -> tuple[int, list[exp.Expr]] | None:
        candidates = [k for k in statement_starts(part) if 0 < k <= error_index]
        for length in reversed(candidates[-_SPLIT_TRIES:]):
            try:
                expressions = self._parse_tokens(part[:length], piece)
            except Exception:
                continue
            if expressions and not any(incomplete(e) for e in expressions):
                return length, expressions
        return None

    def _parse_tokens(self, tokens: list[Token], piece: str) -> list[exp.Expr]:
        return [e for e in self._parser.parse(tokens, piece) if e is not None]

    def _rewrite(self, tokens: list[Token], piece: str) -> tuple[list[Token], str | None]:
        """MySQL ``REPLACE INTO`` becomes an opaque Command in sqlglot: read it as ``INSERT INTO``."""
        first = tokens[0]
        if first.text.upper() != "REPLACE" or len(tokens) < 2:
            return tokens, None
        rest = tokens[1]
        if rest.token_type == TokenType.STRING and rest.text[:4].upper() == "INTO":
            # The tokenizer swallowed the statement into one string: tokenize it again as an INSERT.
            rest_start = piece.find(rest.text, first.end + 1)
            if rest_start == -1:
                return tokens, None
            text = "INSERT " + piece[first.end + 1 : rest_start + len(rest.text)]  # same length as REPLACE
            tokens = self._scanner.tokenize_at(text, first.start)
            if not tokens:
                return [first, rest], None
        elif rest.text.upper() == "INTO":
            insert = Token(TokenType.INSERT, "INSERT", first.line, first.col, first.start, first.end)
            tokens = [insert, *tokens[1:]]
        else:
            return tokens, None
        return tokens, "REPLACE INTO analysed as INSERT INTO"


def balanced_cut(tokens: list[Token], text: str, *, headers: bool) -> int | None:
    """The last semicolon outside any ``BEGIN ... END`` block of ``text`` (``tokens`` are its tokens):
    pieces never split a block."""
    if not may_hold_blocks(text, headers):  # most pieces: no token needs a look
        return last_semicolon(tokens)
    return walked_cut(tokens, headers=headers)


def walked_cut(tokens: list[Token], *, headers: bool) -> int | None:
    """:func:`balanced_cut` by a look at every token."""
    depth, declare_pending, last, chunk_start = 0, False, None, 0
    for index, token in enumerate(tokens):
        if token.token_type != TokenType.SEMICOLON:
            continue
        if index > chunk_start:
            delta, declare_pending = block_depth_change(tokens[chunk_start:index], declare_pending, headers)
            depth += delta
        if depth <= 0:
            depth, declare_pending, last = 0, False, index
        chunk_start = index + 1
    return last


def _statements(
    expressions: list[exp.Expr],
    tokens: list[Token],
    base: int,
    in_block: bool,
    note: str | None,
    variables: frozenset[str] = frozenset(),
    routine: Routine | None = None,
) -> Iterator[Statement | Failure]:
    start, end = base + tokens[0].start, base + tokens[-1].end + 1
    for expression in expressions:
        if not_a_statement(expression, in_block):
            yield not_a_statement_failure(expression, tokens, base)
        elif not isinstance(expression, exp.EndStatement):
            yield Statement(expression, base, start, end, in_block, note, variables, routine)


@dataclass(frozen=True)
class _BatchRoutine:
    """Said by :meth:`ScriptParser._parse_group`: the rest of the T-SQL batch is this routine's body."""

    routine: Routine
