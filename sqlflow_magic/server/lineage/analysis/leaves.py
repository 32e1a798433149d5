"""The leaves a traced output depends on, tagged: each value leaf with how the output is made from it,
each row leaf with the clause it decides rows in (``docs/engine.md#clause-types-and-value-kinds``)."""

from __future__ import annotations

from sqlglot import exp

#: ``(object index, normalised column name)``; the name ``*`` stands for "all columns".
LeafKey = tuple[int, str]

#: How an output is made from a value leaf, weakest first: the leaf itself (perhaps renamed), an
#: expression of it, an aggregate of it. Through nested queries the strongest kind wins.
IDENTITY, TRANSFORMATION, AGGREGATION = 0, 1, 2
VALUE_KINDS = ("identity", "transformation", "aggregation")
#: sqlglot's argument of a SELECT's row clause -> SQLFlow's ``clauseType`` (JOIN ON is ``joinCondition``).
#: In the order the tracer has always walked them (the first clause of a column gives its position).
CLAUSES = {
    "where": "where",
    "group": "groupBy",
    "having": "having",
    "qualify": "qualify",
    "connect": "connectBy",
    "prewhere": "where",
}
JOIN_CLAUSE, WINDOW_CLAUSE, EXCEPT_CLAUSE = "joinCondition", "window", "except"
#: ORDER BY decides rows only with a LIMIT (TOP, FETCH FIRST): then it chooses which rows are kept.
ORDER_CLAUSE = "orderBy"


class Trace:
    """Leaves feeding one output: ``fdd`` (values) and ``fdr`` (rows), each leaf with its first node.

    ``kinds`` gives each value leaf its value kind (:data:`IDENTITY`, ...), ``clauses`` each row leaf
    the clause it was first found in (SQLFlow's ``clauseType``).
    """

    __slots__ = ("clauses", "fdd", "fdr", "kinds")

    def __init__(self) -> None:
        self.fdd: dict[LeafKey, exp.Expr] = {}
        self.fdr: dict[LeafKey, exp.Expr] = {}
        self.kinds: dict[LeafKey, int] = {}
        self.clauses: dict[LeafKey, str] = {}

    def add(self, key: LeafKey, node: exp.Expr, rows: bool, kind: int = IDENTITY, clause: str = "") -> None:
        """Add one leaf as a value flow of ``kind``, or as a row flow from ``clause`` when ``rows``."""
        if rows:
            self.fdr.setdefault(key, node)
            self.clauses.setdefault(key, clause)
        else:
            self.fdd.setdefault(key, node)
            if kind > self.kinds.get(key, -1):
                self.kinds[key] = kind

    def merge(self, other: Trace, rows: bool, kind: int = IDENTITY, clause: str = "") -> None:
        """Add another trace; with ``rows`` all of its value leaves become row flows from ``clause``.

        Otherwise its value leaves keep their kind, or take ``kind`` when that is stronger (an
        aggregate of an expression is an aggregate). Row leaves keep their own clause, except the
        ``window`` leaves of a window's output that ``clause`` uses (``WHERE rn = 1`` over a
        ``ROW_NUMBER() OVER (PARTITION BY k)``: ``k`` decides rows in that WHERE).
        """
        if rows:
            for key, node in other.fdd.items():
                self.fdr.setdefault(key, node)
                self.clauses.setdefault(key, clause)
        else:
            kinds = self.kinds
            for key, node in other.fdd.items():
                self.fdd.setdefault(key, node)
                combined = max(kind, other.kinds.get(key, IDENTITY))
                if combined > kinds.get(key, -1):
                    kinds[key] = combined
        reclaimed = rows and bool(clause)
        for key, node in other.fdr.items():
            self.fdr.setdefault(key, node)
            own = other.clauses.get(key, "")
            self.clauses.setdefault(key, clause if reclaimed and own == WINDOW_CLAUSE else own)
