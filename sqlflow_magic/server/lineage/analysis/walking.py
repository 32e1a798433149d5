"""Small helpers over sqlglot trees and scopes: a scope's outputs, and taking a dead tree apart."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope


def outputs(scope: Scope) -> list[exp.Expr]:
    """The outputs of a scope's expression: a query's projections, or a table function's alias columns.

    Every scope sqlglot builds has such an expression; anything else has no outputs.
    """
    expression = scope.expression
    return expression.selects if isinstance(expression, exp.Selectable) else []


#: The statement number from which dead trees are taken apart (:func:`worth_dismantling`).
DISMANTLE_FROM_STATEMENT = 64


def worth_dismantling(statement_number: int) -> bool:
    """Whether the trees of statement ``statement_number`` (1-based, of one analysis) are taken apart.

    Taking a tree apart pays off only in a long analysis, where trees that survive a young collection
    would pile up until a full one (:func:`dismantle`). The trees of the first statements are left to
    the cyclic collector: at most this many trees, collected with the next young collections, which
    keeps short analyses (most jobs, and the synchronous endpoint's) from paying for the walk.
    """
    return statement_number >= DISMANTLE_FROM_STATEMENT


def dismantle(root: exp.Expr | None = None, scope: Scope | None = None) -> None:
    """Cut the parent links of a tree (and of its scopes) that is no longer needed.

    Parent links make every tree a web of cycles, which only the cyclic garbage collector frees:
    trees that live through a young collection pile up until a full one, which then also walks
    every live object. Freed by reference counting instead, they never get that far (on a 500 KB
    script, those collections took about a sixth of the column-level time).
    """
    if root is not None:
        for node in root.walk():
            node.parent = None
    if scope is not None:
        for inner in scope.traverse():
            inner.parent = None
