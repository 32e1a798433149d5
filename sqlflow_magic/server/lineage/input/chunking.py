"""A script's tokens cut into statements: chunks between semicolons, grouped when they make one block.

``ScriptParser`` (``input/parsing.py``) parses each group; a ``BEGIN ... END`` block (a procedure body, a
PL/SQL block) stays one group, whose chunks are joined again with their semicolons.
"""

from __future__ import annotations

from collections.abc import Iterator

# Token and TokenType live in sqlglot.tokenizer_core; the package re-exports them.
from sqlglot import Token, TokenType

from sqlflow_magic.server.lineage.input.procedural import block_depth_change, block_statements


def split_chunks(tokens: list[Token]) -> list[list[Token]]:
    """The tokens between semicolons (the semicolons dropped, empty chunks too)."""
    semicolon = TokenType.SEMICOLON
    cuts = [index for index, token in enumerate(tokens) if token.token_type == semicolon]
    starts = [0, *(cut + 1 for cut in cuts)]
    ends = [*cuts, len(tokens)]
    return [tokens[start:end] for start, end in zip(starts, ends, strict=True) if end > start]


def group_blocks(chunks: list[list[Token]], headers: bool) -> Iterator[list[list[Token]]]:
    """Keep the chunks of a ``BEGIN ... END`` block (procedure bodies, PL/SQL blocks) together."""
    group: list[list[Token]] = []
    depth, declare_pending = 0, False
    for chunk in chunks:
        group.append(chunk)
        delta, declare_pending = block_depth_change(chunk, declare_pending, headers)
        depth += delta
        if depth <= 0:
            yield group
            group, depth, declare_pending = [], 0, False
    if group:
        yield group


def with_semicolons(group: list[list[Token]]) -> list[Token]:
    """A group's chunks joined again, each followed by a semicolon token just after its last token."""
    tokens: list[Token] = []
    for chunk in group:
        tokens.extend(chunk)
        last = chunk[-1]
        tokens.append(Token(TokenType.SEMICOLON, ";", last.line, last.col + 1, last.end + 1, last.end + 1))
    return tokens


def statement_chunks(group: list[list[Token]]) -> int:
    """How many chunks of a block start a statement (what a whole reading of the block must keep)."""
    return sum(1 for chunk in group if block_statements(chunk))
