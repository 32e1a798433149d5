"""The lineage engine of the local SQLFlow-compatible server: pure library, no HTTP, no IPython.

:func:`analyze` reads SQL files of one ``dbvendor`` and returns a :class:`LineageResult` (objects,
columns, ``fdd``/``fdr`` relationships, errors and a status); :func:`to_sqlflow_json` writes it as
SQLFlow's complete lineage JSON, of which :mod:`sqlflow_magic.server.exports` serves every export.
"""

from __future__ import annotations

from sqlflow_magic.server.lineage.decode import decode_sql
from sqlflow_magic.server.lineage.dialects import VENDOR_DIALECTS, choose_dialect
from sqlflow_magic.server.lineage.engine import analyze
from sqlflow_magic.server.lineage.export import to_sqlflow_json
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
    "to_sqlflow_json",
]
