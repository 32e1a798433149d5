"""``SELECT * FROM source``: the query of a whole-table flow (``CLONE``, ``LIKE``, renames, copies)."""

from __future__ import annotations

from sqlglot import exp


def select_all_from(source: exp.Expr) -> exp.Select:
    """``SELECT * FROM source``, built from its nodes.

    ``exp.select("*")`` parses the ``*`` every time, which costs more than building the whole query.
    """
    return exp.Select(expressions=[exp.Star()], from_=exp.From(this=source))
