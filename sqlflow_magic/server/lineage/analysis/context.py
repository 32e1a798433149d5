"""Where a statement sits in its file, and the positions of its nodes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlglot import exp

from sqlflow_magic.server.lineage.input.scanning import LineIndex
from sqlflow_magic.server.lineage.model import Span


@dataclass
class StatementContext:
    """Where a statement sits: its file, and the offset its node positions are relative to."""

    file_name: str
    text: str
    lines: LineIndex
    base: int
    start: int
    end: int
    number: int
    #: Variables and parameters of an enclosing procedural block (lower case): constants, not columns.
    variables: frozenset[str] = frozenset()

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

    @cached_property
    def statement_span(self) -> Span:
        """The span of the whole statement."""
        return self.lines.span(self.start, self.end)

    @cached_property
    def may_mark_nodes(self) -> bool:
        """Whether the statement has a ``/* sqlglot.meta ... */`` comment (the only way nodes get marked)."""
        return self.text.find("sqlglot.meta", self.start, self.end) != -1

    def snippet(self, limit: int = 80) -> str:
        """The statement's first characters on one line."""
        text = " ".join(self.text[self.start : self.end].split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _positioned_parts(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Identifier):
        return [node]
    if isinstance(node, exp.Column):  # ``Column.parts`` without the list it builds
        args = node.args
        parts = (args.get("catalog"), args.get("db"), args.get("table"), args.get("this"))
        return [part for part in parts if isinstance(part, exp.Identifier)]
    if isinstance(node, exp.Table):
        return [part for part in node.parts if isinstance(part, exp.Identifier)]
    if isinstance(node, exp.Alias):
        alias = node.args.get("alias")
        if isinstance(alias, exp.Identifier) and alias.meta_get("start") is not None:
            return [alias]
        return _positioned_parts(node.this)
    return _first_identifiers(node, 64)


def _first_identifiers(root: exp.Expr, limit: int) -> list[exp.Expr]:
    """The first ``limit`` identifiers under ``root`` in ``find_all`` order, without its generators."""
    found: list[exp.Expr] = []
    queue = [root]
    for node in queue:  # the list grows while it is read, as in ``walking.bfs``
        if isinstance(node, exp.Identifier):
            found.append(node)
            if len(found) == limit:
                break
        for value in node.args.values():
            if type(value) is list:
                queue.extend(item for item in value if isinstance(item, exp.Expr))
            elif isinstance(value, exp.Expr):
                queue.append(value)
    return found
