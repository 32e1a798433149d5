"""Lineage as pandas DataFrames: one row per table, per arrow, per column edge.

>>> from sqlflow_magic.lineage_json import column_edges_frame
>>> column_edges_frame(sqlflow_lineage)      # the JSON that %sqlflow_lineage stored
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .graph import LineageGraph, column_label, read_lineage

if TYPE_CHECKING:
    import pandas


def tables_frame(lineage: Any) -> pandas.DataFrame:
    """The boxes: ``table``, ``type`` and ``columns`` (comma-separated)."""
    graph = _graph(lineage)
    return _frame([{"table": t.name, "type": t.type, "columns": ", ".join(t.columns)} for t in graph.tables],
                  ["table", "type", "columns"])


def table_edges_frame(lineage: Any) -> pandas.DataFrame:
    """The arrows: ``source``, ``target``, ``relation_types`` and ``effect_types`` (comma-separated)."""
    graph = _graph(lineage)
    rows = [{"source": graph.name(e.source), "target": graph.name(e.target),
             "relation_types": ",".join(e.relation_types), "effect_types": ",".join(e.effect_types)}
            for e in graph.edges]
    return _frame(rows, ["source", "target", "relation_types", "effect_types"])


def column_edges_frame(lineage: Any) -> pandas.DataFrame:
    """Column-level edges between boxes, the listed-only kinds (join, er, call) included."""
    graph = _graph(lineage)
    rows = [{"source_table": graph.name(e.source_table), "source_column": column_label(e.source_column),
             "target_table": graph.name(e.target_table), "target_column": column_label(e.target_column),
             "relation_type": e.relation_type, "effect_type": e.effect_type} for e in graph.column_edges]
    return _frame(rows, ["source_table", "source_column", "target_table", "target_column", "relation_type",
                         "effect_type"])


def _graph(lineage: Any) -> LineageGraph:
    return lineage if isinstance(lineage, LineageGraph) else read_lineage(lineage)


def _frame(rows: list[dict[str, str]], columns: list[str]) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError:
        raise ImportError("these helpers need pandas: pip install pandas") from None
    return pandas.DataFrame(rows, columns=columns)
