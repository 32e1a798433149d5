"""The lineage engine of the local SQLFlow-compatible server: pure library, no HTTP, no IPython.

:func:`analyze` reads SQL files of one ``dbvendor`` and returns a :class:`LineageResult` (objects,
columns, ``fdd``/``fdr`` relationships, errors and a status); :func:`to_sqlflow_json` writes it as
SQLFlow's complete lineage JSON, of which :mod:`sqlflow_magic.server.exports` serves every export.

The subpackages are the pipeline's stages, in order: ``input`` (decoding, archives, dialects,
statement splitting), ``flows``, ``analysis``; then ``model`` and ``export`` (docs/engine.md).

The names below are imported on first use: the server's own process reads uploaded archives
(``input.archives``, for its budgets) and must not pay for importing sqlglot, which only the
analysis processes need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlflow_magic.server.lineage.engine import analyze
    from sqlflow_magic.server.lineage.export import to_sqlflow_json
    from sqlflow_magic.server.lineage.input.decode import decode_sql
    from sqlflow_magic.server.lineage.input.dialects import VENDOR_DIALECTS, choose_dialect
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

#: Public name -> the module (under this package) that defines it.
_HOMES = {
    "VENDOR_DIALECTS": "input.dialects",
    "choose_dialect": "input.dialects",
    "decode_sql": "input.decode",
    "analyze": "engine",
    "to_sqlflow_json": "export",
    **{
        name: "model"
        for name in (
            "Column", "ColumnRef", "DbObject", "LineageError", "LineageResult", "Process", "Relationship",
            "Span", "SqlSource",
        )
    },
}  # fmt: skip

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value
