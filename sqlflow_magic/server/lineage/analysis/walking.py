"""Whole-tree walks as plain lists: ``Expr.walk`` order at a fraction of the cost of its nested generators."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import ASCII_LOWER, ASCII_UPPER, Dialect, NormalizationStrategy
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


def outputs(scope: Scope) -> list[exp.Expr]:
    """The outputs of a scope's expression: a query's projections, or a table function's alias columns.

    Every scope sqlglot builds has such an expression; anything else has no outputs.
    """
    expression = scope.expression
    return expression.selects if isinstance(expression, exp.Selectable) else []


def in_scope(root: exp.Expr, prune: Callable[[exp.Expr], bool] | None = None) -> list[exp.Expr]:
    """``list(walk_in_scope(root, prune))``: the nodes of ``root``'s scope, in the same order, without generators.

    Like sqlglot's walk, it yields the root of a child scope (a CTE, a derived table, a subquery, a
    table function's query) but not what is inside it, apart from the joins, laterals and pivots
    hanging on a derived table or table function. ``tests/lineage/test_walking.py`` holds the two
    walks to the same nodes.
    """
    nodes: list[exp.Expr] = []
    append, stack = nodes.append, [root]
    expr, boundaries, queries = exp.Expr, (exp.CTE, exp.Query), exp.UNWRAPPED_QUERIES
    while stack:
        node = stack.pop()
        append(node)
        if node is not root and isinstance(node, boundaries):
            parent = node.parent
            if (
                isinstance(node, exp.CTE)
                or (isinstance(parent, (exp.From, exp.Join)) and _is_derived_table(node))
                or isinstance(parent, exp.UDTF)
                or isinstance(node, queries)
            ):
                if isinstance(node, (exp.Subquery, exp.UDTF)):
                    for key in ("joins", "laterals", "pivots"):
                        for arg in node.args.get(key) or ():
                            nodes.extend(in_scope(arg))
                continue
        if prune is not None and prune(node):
            continue
        for value in reversed(node.args.values()):
            if type(value) is list:
                stack.extend(item for item in reversed(value) if isinstance(item, expr))
            elif isinstance(value, expr):
                stack.append(value)
    return nodes


def _is_derived_table(node: exp.Expr) -> bool:
    """sqlglot's rule: parentheses around joins are no scope of their own, unless aliased or pivoted."""
    return isinstance(node, exp.Subquery) and bool(
        node.alias or node.args.get("pivots") or isinstance(node.this, exp.UNWRAPPED_QUERIES)
    )


def normalize_nodes(
    nodes: Sequence[exp.Expr], normalize: Callable[[exp.Identifier], object], marked: bool = True
) -> dict[str, str]:
    """``normalize_identifiers`` over the nodes of one tree (``bfs`` of its root), without walking it again.

    ``normalize`` is the dialect's rule, from :func:`identifier_normalizer`. Returns the first
    spelling of each normalised name, in the order of ``nodes``.

    Identifiers under a node marked ``case_sensitive`` (``/* sqlglot.meta case_sensitive */``) stay
    as they are, as sqlglot's walk prunes there. ``marked=False`` says the text has no such
    comment: then ``nodes`` may be the identifiers alone. The original spellings ``qualify`` would
    store (``dot_parts``) only serve ORDER BY / DISTINCT ON rewrites and JSON paths, which the
    tracer never reads: they are not stored.
    """
    kept: set[int] = set()
    if marked:
        for node in nodes:
            if node.meta_get("case_sensitive") and id(node) not in kept:
                kept.update(id(inner) for inner in bfs(node))
    spelling: dict[str, str] = {}
    setdefault = spelling.setdefault
    for node in nodes:
        if isinstance(node, exp.Identifier):
            name = node.this
            if id(node) not in kept:
                normalize(node)
            if isinstance(name, str):
                setdefault(node.this, name)
    return spelling


def identifier_normalizer(dialect: Dialect) -> Callable[[exp.Identifier], object]:
    """``dialect.normalize_identifier``, or an equivalent at a third of its cost.

    The equivalent serves dialects that keep sqlglot's own rule and fold case the same way
    everywhere (not BigQuery, whose table names keep their case): it folds the name, and leaves an
    identifier that is already folded untouched. ``tests/lineage/test_walking.py`` holds it to
    sqlglot's ``normalize_identifier`` for every dialect.
    """
    strategy = dialect.normalization_strategy
    if type(dialect).normalize_identifier is not Dialect.normalize_identifier or strategy not in _FOLDS:
        return dialect.normalize_identifier
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return _unchanged
    upper = strategy in (NormalizationStrategy.UPPERCASE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)
    table = ASCII_UPPER if upper else ASCII_LOWER
    if dialect.ASCII_ONLY_NORMALIZATION:
        fold: Callable[[str], str] = lambda name: name.translate(table)  # noqa: E731
    else:
        fold = str.upper if upper else str.lower
    quoted_too = strategy in (NormalizationStrategy.CASE_INSENSITIVE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)

    def normalize(identifier: exp.Identifier) -> None:
        name = identifier.this
        if quoted_too or not identifier.args.get("quoted"):
            folded = fold(name)
            if folded != name:
                identifier.set("this", folded)

    return normalize


_FOLDS = frozenset(
    {
        NormalizationStrategy.CASE_SENSITIVE,
        NormalizationStrategy.LOWERCASE,
        NormalizationStrategy.UPPERCASE,
        NormalizationStrategy.CASE_INSENSITIVE,
        NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE,
    }
)


def _unchanged(identifier: exp.Identifier) -> None:
    return None


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
