"""Cut a script into batches and into tokenized pieces that end at a semicolon.

Batches end at T-SQL ``GO`` lines or SQL*Plus ``/`` lines. Each batch is tokenized in pieces of
about :data:`PIECE_CHARS`, cut after the last semicolon token of the piece: memory stays bounded
and the deadline is checked between pieces. A tokenizer error (an unterminated string or comment)
keeps the statements before it (``docs/engine.md#trap-1-go-is-not-a-statement-separator``,
``docs/engine.md#trap-15-a-tokenizer-error-loses-the-whole-text``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Token and TokenType live in sqlglot.tokenizer_core; the package re-exports them.
from sqlglot import Token, Tokenizer, TokenType
from sqlglot.errors import TokenError

from sqlflow_magic.server.lineage.deadline import Deadline
from sqlflow_magic.server.lineage.input.messages import one_line
from sqlflow_magic.server.lineage.model import Span

PIECE_CHARS = 64 * 1024


class LineIndex:
    """Converts character offsets of one text into 1-based line/column positions."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position != -1:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def point(self, offset: int) -> tuple[int, int]:
        """``(line, column)`` of ``offset``."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        """The span from ``start`` to the exclusive ``end`` offset."""
        starts = self._starts
        line = bisect.bisect_right(starts, start) - 1
        if line + 1 == len(starts) or end < starts[line + 1]:  # on one line, as most names are
            return Span(line + 1, start - starts[line] + 1, line + 1, end - starts[line] + 1)
        (start_line, start_column), (end_line, end_column) = self.point(start), self.point(end)
        return Span(start_line, start_column, end_line, end_column)


@dataclass(frozen=True)
class Failure:
    """A statement (or text) that could not be parsed, at absolute offsets ``start``..``end``."""

    message: str
    error_type: str
    start: int
    end: int
    raw: str = ""  # the parser's own message, when ``message`` rewrites it


@dataclass(frozen=True)
class Piece:
    """Tokens of ``text``, which starts at offset ``base`` of the file; token offsets are relative to it."""

    base: int
    text: str
    tokens: list[Token]
    #: Which batch (``GO`` / ``/`` separated) of the script the piece belongs to.
    batch: int = 0


class Scanner:
    """Yields the :class:`Piece` objects (and tokenizer :class:`Failure` objects) of a script."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        separator: re.Pattern[str] | None,
        deadline: Deadline,
        cut: Callable[[list[Token], str], int | None] | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._separator = separator
        self._deadline = deadline
        #: ``cut(tokens, text)``: the index of the semicolon token after which a piece (``text``, whose
        #: tokens are ``tokens``) may end (default: the last one).
        self._cut = cut or _last_semicolon_of
        #: Whether the text last scanned ended at a statement boundary: after a semicolon the cut
        #: function accepts, or at a batch separator (set once :meth:`scan`'s iterator is exhausted).
        self.ended_cleanly = True

    def scan(self, text: str) -> Iterator[Piece | Failure]:
        """The pieces of every batch of ``text``, in order."""
        batches = self._batches(text)
        clean = [True]  # of this scan (a routine body is scanned while this one is under way)
        for batch, (start, end) in enumerate(batches):
            for item in self._pieces(text, start, end, clean):
                yield Piece(item.base, item.text, item.tokens, batch) if isinstance(item, Piece) and batch else item
        # the last statement ends at a separator, or must end with an accepted semicolon
        self.ended_cleanly = clean[0] or not batches or batches[-1][1] < len(text)

    def tokenize_at(self, text: str, offset: int) -> list[Token]:
        """Tokens of ``text``, which sits at ``offset`` in a piece (token lines are not adjusted)."""
        try:
            tokens = self._tokenizer.tokenize(text)
        except TokenError:
            return []
        for token in tokens:
            token.start += offset
            token.end += offset
        return tokens

    def _batches(self, text: str) -> list[tuple[int, int]]:
        separator = self._separator
        if separator is None:
            return [(0, len(text))]
        batches, start = [], 0
        for match in separator.finditer(text):
            batches.append((start, match.start()))
            start = match.end()
        batches.append((start, len(text)))
        return [(s, e) for s, e in batches if text[s:e].strip()]

    def _pieces(self, text: str, start: int, end: int, clean: list[bool]) -> Iterator[Piece | Failure]:
        position = start
        while position < end:
            self._deadline.check()
            size = PIECE_CHARS
            while True:
                cut = end if position + size >= end else text.find("\n", position + size, end)
                cut = end if cut == -1 else cut if cut == end else cut + 1
                piece = text[position:cut]
                try:
                    tokens = self._tokenizer.tokenize(piece)
                except TokenError as exc:
                    if cut < end:
                        size *= 2
                        continue
                    clean[0] = False
                    yield from self._salvage(text, position, end, exc)
                    return
                if cut < end:
                    last = self._cut(tokens, piece)
                    if last is None:
                        size *= 2
                        continue
                    tokens = tokens[: last + 1]
                    yield Piece(position, piece, tokens)
                    position += tokens[-1].end + 1
                else:
                    clean[0] = bool(tokens) and self._cut(tokens, piece) == len(tokens) - 1
                    yield Piece(position, piece, tokens)
                    position = end
                break

    def _salvage(self, text: str, start: int, end: int, error: TokenError) -> Iterator[Piece | Failure]:
        """Tokenize the longest prefix (ending at a semicolon) before an unterminated string or comment."""
        lines = [start]
        newline = text.find("\n", start, end)
        while newline != -1:
            lines.append(newline + 1)
            newline = text.find("\n", newline + 1, end)
        low, high, good = 0, len(lines) - 1, None
        while low <= high:
            middle = (low + high) // 2
            try:
                tokens = self._tokenizer.tokenize(text[start : lines[middle]])
                good, low = (middle, tokens), middle + 1
            except TokenError:
                high = middle - 1
        failed_at = start
        if good is not None:
            tokens = good[1]
            last = last_semicolon(tokens)
            if last is not None:
                yield Piece(start, text[start : lines[good[0]]], tokens[: last + 1])
                failed_at = start + tokens[last].end + 1
        while failed_at < end and text[failed_at].isspace():
            failed_at += 1
        quoted = one_line(str(error))  # sqlglot quotes the SQL from where it stopped, line breaks and all
        message = f"Syntax error: cannot tokenize the text from here ({quoted}); unterminated string or comment?"
        yield Failure(message, "SyntaxError", failed_at, min(end, failed_at + 1))


def _last_semicolon_of(tokens: list[Token], text: str) -> int | None:
    return last_semicolon(tokens)


def last_semicolon(tokens: list[Token]) -> int | None:
    """Index of the last semicolon token, if any."""
    for index in range(len(tokens) - 1, -1, -1):
        if tokens[index].token_type == TokenType.SEMICOLON:
            return index
    return None
