"""The lineage engine of the local SQLFlow-compatible server: pure library, no HTTP, no IPython.

:func:`analyze` reads SQL files of one ``dbvendor`` and returns a :class:`LineageResult` (objects,
columns, ``fdd``/``fdr`` relationships, errors and a status); the functions of
:mod:`~sqlflow_magic.server.lineage.export` turn it into SQLFlow's JSON, CSV and GraphML shapes.
"""

from __future__ import annotations

from sqlflow_magic.server.lineage.decode import decode_sql
from sqlflow_magic.server.lineage.dialects import VENDOR_DIALECTS, choose_dialect
from sqlflow_magic.server.lineage.engine import analyze
from sqlflow_magic.server.lineage.export import (
    CSV_HEADER,
    generation_response,
    to_csv,
    to_graphml,
    to_sqlflow_json,
)
from sqlflow_magic.server.lineage.model import (
    Column,
    ColumnRef,
    DbObject,
    LineageError,
    LineageResult,
    Process,
    Relationship,
    Span,
    SqlSource,
)

__all__ = [
    "CSV_HEADER",
    "VENDOR_DIALECTS",
    "Column",
    "ColumnRef",
    "DbObject",
    "LineageError",
    "LineageResult",
    "Process",
    "Relationship",
    "Span",
    "SqlSource",
    "analyze",
    "choose_dialect",
    "decode_sql",
    "generation_response",
    "to_csv",
    "to_graphml",
    "to_sqlflow_json",
]
