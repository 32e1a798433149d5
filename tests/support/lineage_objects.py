"""Reading an engine result in position tests: one object by name, and the first span of it or of a column."""

from __future__ import annotations

from sqlflow_magic.server.lineage import LineageResult, Span
from sqlflow_magic.server.lineage.model import DbObject


def object_named(result: LineageResult, name: str) -> DbObject:
    """The one object of ``result`` named ``name`` (as written); fails if there are none or several."""
    [obj] = [o for o in result.dbobjs if o.name == name]
    return obj


def first_span(obj: DbObject, column: str | None = None) -> tuple[int, int, int, int]:
    """The first coordinates of ``obj``, or of its ``column``: (start line, start column, end line, end column)."""
    spans = obj.coordinates if column is None else next(c.coordinates for c in obj.columns if c.name == column)
    span: Span = spans[0]
    return span.start_line, span.start_column, span.end_line, span.end_column
