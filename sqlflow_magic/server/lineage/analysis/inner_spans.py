"""Where a statement inside a block read whole by sqlglot sits: its own span, not the block's.

sqlglot keeps positions on identifiers only. A T-SQL procedure read whole (``CREATE PROCEDURE p AS
BEGIN INSERT ... UPDATE ... END``) is one statement of the file; each statement of its body gets
its own span from the positions of its identifiers: from the keyword that starts it (the last
``INSERT`` before its first identifier, for an INSERT) to the end of the line of its last identifier.
"""

from __future__ import annotations

import re

from sqlglot import exp

from sqlflow_magic.server.lineage.analysis.context import StatementContext

_KEYWORDS: tuple[tuple[type[exp.Expr], re.Pattern[str]], ...] = tuple(
    (node_type, re.compile(rf"\b(?:{words})\b", re.IGNORECASE))
    for node_type, words in (
        (exp.Insert, "INSERT"), (exp.Update, "UPDATE"), (exp.Delete, "DELETE"), (exp.Merge, "MERGE"),
        (exp.Create, "CREATE"), (exp.Query, "SELECT|WITH"),
    )
)  # fmt: skip


_WINDOW = 4096


def inner_context(ctx: StatementContext, statement: exp.Expr) -> StatementContext:
    """``ctx`` narrowed to ``statement``, a statement of the block ``ctx`` stands for (unchanged if unsure)."""
    pattern = next((p for node_type, p in _KEYWORDS if isinstance(statement, node_type)), None)
    positions = [
        (start, node.meta_get("end"))
        for node in statement.find_all(exp.Identifier)
        if (start := node.meta_get("start")) is not None
    ]
    if pattern is None or not positions:
        return ctx
    first = ctx.base + min(start for start, _ in positions)
    last = ctx.base + max(end for _, end in positions) + 1
    # The keyword is near the first identifier: a window keeps a long body from being read again per statement.
    window = max(ctx.start, first - _WINDOW)
    keyword = next(reversed(list(pattern.finditer(ctx.text, window, first))), None)
    if keyword is None or last > ctx.end:
        return ctx
    line_end = ctx.text.find("\n", last, ctx.end)
    end = len(ctx.text[:line_end if line_end != -1 else ctx.end].rstrip().rstrip(";"))
    return ctx.narrowed(keyword.start(), max(end, last))
