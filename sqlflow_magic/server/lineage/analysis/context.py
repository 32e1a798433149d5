"""Where a statement sits in its file, and the positions of its nodes."""

from __future__ import annotations

from itertools import islice

from sqlglot import exp

from sqlflow_magic.server.lineage.input.scanning import LineIndex
from sqlflow_magic.server.lineage.model import Span

#: Identifiers read for the span of a node other than a name, a column, a table or an alias.
_MAX_PARTS = 64


class StatementContext:
    """Where a statement sits: its file, and the offset its node positions are relative to.

    A plain class, not a dataclass: one is made per statement, and compiled (``setup.py``) only a
    class's own ``__init__`` runs as native code (the one ``dataclasses`` writes stays Python).
    """

    def __init__(
        self,
        file_name: str,
        text: str,
        lines: LineIndex,
        base: int,
        start: int,
        end: int,
        number: int,
        variables: frozenset[str] = frozenset(),
    ) -> None:
        self.file_name = file_name
        self.text = text
        self.lines = lines
        self.base = base
        self.start = start
        self.end = end
        self.number = number
        #: Variables and parameters of an enclosing procedural block (lower case): constants, not columns.
        self.variables = variables
        #: The span of the whole statement: every statement reads it.
        self.statement_span: Span = lines.span(start, end)

    def narrowed(self, start: int, end: int) -> StatementContext:
        """The same statement's context, from ``start`` to ``end`` of the file (a statement inside a block)."""
        return StatementContext(
            self.file_name, self.text, self.lines, self.base, start, end, self.number, self.variables
        )

    def span(self, node: exp.Expr | None) -> Span | None:
        """The span of a node, from the positions sqlglot kept on its identifiers."""
        if node is None:
            return None
        start = end = -1
        for part in _positioned_parts(node):
            first = part.meta_get("start")
            if first is not None:
                if start == -1 or first < start:
                    start = first
                end = max(end, part.meta_get("end"))
        if start == -1:
            return None
        return self.lines.span(self.base + start, self.base + end + 1)

    def snippet(self, limit: int = 80) -> str:
        """The statement's first characters on one line."""
        text = " ".join(self.text[self.start : self.end].split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _positioned_parts(node: exp.Expr) -> list[exp.Identifier]:
    if isinstance(node, exp.Identifier):
        return [node]
    if isinstance(node, (exp.Column, exp.Table)):
        return [part for part in node.parts if isinstance(part, exp.Identifier)]
    if isinstance(node, exp.Alias):
        alias = node.args.get("alias")
        if isinstance(alias, exp.Identifier) and alias.meta_get("start") is not None:
            return [alias]
        return _positioned_parts(node.this)
    # The first identifiers (breadth first) are enough for a span's ends on any sensible node.
    return list(islice(node.find_all(exp.Identifier), _MAX_PARTS))
