"""Whole-tree walks as plain lists: ``Expr.walk`` order at a fraction of the cost of its nested generators."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.optimizer.scope import Scope


def bfs(root: exp.Expr) -> list[exp.Expr]:
    """The nodes under ``root`` (itself included) in the order of ``root.walk()`` (breadth first)."""
    nodes = [root]
    append, expr = nodes.append, exp.Expr
    for node in nodes:  # the list grows while it is read: a queue without pops
        for value in node.args.values():
            if type(value) is list:  # args hold plain lists only; ``type`` is cheaper than ``isinstance``
                for item in value:
                    if isinstance(item, expr):
                        append(item)
            elif isinstance(value, expr):
                append(value)
    return nodes


def normalize_nodes(nodes: list[exp.Expr], dialect: Dialect) -> None:
    """``normalize_identifiers`` over the nodes of one tree (``bfs`` of its root), without walking it again.

    Identifiers under a node marked ``case_sensitive`` (``/* sqlglot.meta case_sensitive */``) stay
    as they are, as sqlglot's walk prunes there. The original spellings ``qualify`` would store
    (``dot_parts``) only serve ORDER BY / DISTINCT ON rewrites and JSON paths, which the tracer never
    reads: they are not stored.
    """
    kept: set[int] = set()
    for node in nodes:
        if node.meta_get("case_sensitive") and id(node) not in kept:
            kept.update(id(inner) for inner in bfs(node))
    normalize = dialect.normalize_identifier
    fold = _case_fold(dialect)
    for node in nodes:
        if isinstance(node, exp.Identifier) and id(node) not in kept:
            name = node.this
            # A name already in the dialect's case comes out of normalisation as it went in.
            if fold is not None and isinstance(name, str) and name.isascii() and fold(name) == name:
                continue
            normalize(node)


def _case_fold(dialect: Dialect) -> Callable[[str], str] | None:
    """The case ``normalize_identifier`` folds ASCII names to (identity when case-sensitive); ``None``: unknown."""
    if type(dialect).normalize_identifier is not Dialect.normalize_identifier:
        return None
    strategy = dialect.normalization_strategy
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return _unchanged
    if strategy in (NormalizationStrategy.UPPERCASE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE):
        return str.upper
    if strategy in (
        NormalizationStrategy.LOWERCASE,
        NormalizationStrategy.CASE_INSENSITIVE,
        NormalizationStrategy.CASE_INSENSITIVE_EXCEPT_TABLES,
    ):
        return str.lower
    return None


def _unchanged(name: str) -> str:
    return name


def dismantle(root: exp.Expr | None = None, scope: Scope | None = None) -> None:
    """Cut the parent links of a tree (and of its scopes) that is no longer needed.

    Parent links make every tree a web of cycles, which only the cyclic garbage collector frees:
    trees that live through a young collection pile up until a full one, which then also walks
    every live object. Freed by reference counting instead, they never get that far (on a 500 KB
    script, those collections took about a sixth of the column-level time).
    """
    if root is not None:
        for node in bfs(root):
            node.parent = None
    if scope is not None:
        for inner in scope.traverse():
            inner.parent = None
