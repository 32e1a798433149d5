"""Reading SQLFlow's lineage JSON, every generation of it: the one model behind every view.

>>> from sqlflow_magic.lineage_json import read_lineage
>>> graph = read_lineage(answer)           # a dict or JSON text from any SQLFlow server
>>> [(graph.name(e.source), graph.name(e.target)) for e in graph.edges]

Pure data: no IPython, no drawing, no HTTP. :mod:`.shapes` reads the three generations of the
payload into one flat form; :mod:`.graph` decides boxes and arrows; :mod:`.frames` gives DataFrames.
"""

from __future__ import annotations

from .frames import column_edges_frame, table_edges_frame, tables_frame
from .graph import (
    RESULT_SET,
    ColumnEdge,
    LineageGraph,
    LineageTable,
    TableEdge,
    column_label,
    graph_of,
    is_intermediate,
    is_pseudo_column,
    read_lineage,
)

__all__ = [
    "RESULT_SET",
    "ColumnEdge",
    "LineageGraph",
    "LineageTable",
    "TableEdge",
    "column_edges_frame",
    "column_label",
    "graph_of",
    "is_intermediate",
    "is_pseudo_column",
    "read_lineage",
    "table_edges_frame",
    "tables_frame",
]
