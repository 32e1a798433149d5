"""``INSERT ... VALUES`` rows as a query, when a value is a subquery: its tables are sources.

``INSERT INTO t VALUES (1, (SELECT max(id) FROM t2))`` reads ``t2``; rows of constants alone read nothing
(``docs/engine.md#statement-kinds-and-their-effect-types``).
"""

from __future__ import annotations

from sqlglot import exp


def values_query(values: exp.Values) -> exp.Query | None:
    """The rows of a VALUES list that hold a subquery, as a query (``VALUES (1, (SELECT max(id) FROM t2))``).

    Constants alone make no flow: SQLFlow collects no constants of an INSERT. Rows with a subquery become
    one SELECT each (joined by UNION ALL), so that value *i* still feeds target column *i*.
    """
    rows = [row for row in values.expressions if isinstance(row, exp.Tuple) and row.find(exp.Subquery)]
    if not rows:
        return None
    selects = [exp.Select(expressions=list(row.expressions)) for row in rows]
    query: exp.Query = selects[0]
    for select in selects[1:]:
        query = exp.Union(this=query, expression=select, distinct=False)
    return query
