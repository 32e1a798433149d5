"""A :class:`LineageResult` as SQLFlow's lineage JSON: the complete lineage every export is a view of.

:func:`to_sqlflow_json` writes every object and every relationship (column level, or table level
with the pseudo column ``TABLE``); :mod:`~sqlflow_magic.server.exports.views` chooses what one
export shows and :mod:`~sqlflow_magic.server.exports.formats` writes it as JSON, CSV or GraphML.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from sqlflow_magic.server.exports.views import summary
from sqlflow_magic.server.lineage.model import (
    BATCH_QUERIES,
    ROUTINE_TYPES,
    Column,
    ColumnRef,
    DbObject,
    LineageError,
    LineageResult,
    Relationship,
    spans_to_json,
)

TABLE_COLUMN = "TABLE"
_DATA_OBJECT_TYPES = ("table", "view", "select_list", "path")
#: Codes of a lineage answer: complete, or complete data with an ``error`` string of what was not analysed.
OK, PARTIAL = 200, 203


@dataclass(frozen=True)
class _View:
    """The objects and relationships to export (column level, or table level with ``TABLE`` columns)."""

    objects: list[DbObject]
    relationships: list[Relationship]


def to_sqlflow_json(
    result: LineageResult, job_id: str | None = None, table_level: bool = False, *, now_ms: int | None = None
) -> dict[str, Any]:
    """The complete lineage as ``{"code", "data": {"mode", "summary", "sqlflow", "graph"}, "sessionId", "jobId"}``.

    ``code`` is 200, or 203 with an ``error`` string when some SQL was not analysed (SQLFlow's partial
    success). ``graph`` is left empty: it is drawn for each view.
    """
    view = _table_view(result) if table_level else _column_view(result)
    objects = [_object_json(obj) for obj in view.objects]
    relationships = [_relationship_json(rel) for rel in view.relationships]
    sqlflow = {
        "dbvendor": result.dbvendor,
        "dbobjs": objects,
        "relationships": relationships,
        "errors": [_error_json(error) for error in result.errors],
    }
    data = {"mode": "global", "summary": summary(objects, relationships), "sqlflow": sqlflow,
            "graph": {"elements": {"tables": [], "edges": []}, "tooltip": {}, "relationshipIdMap": {},
                      "listIdMap": {}}}
    answer: dict[str, Any] = {"code": OK, "data": data, "sessionId": session_id(result, job_id, now_ms),
                              "jobId": job_id}
    if result.status != "success":
        problems = [e.message for e in result.errors if not e.is_hint] or ["nothing could be analysed"]
        answer.update(code=PARTIAL, error="; ".join(problems[:5]))
    return answer


def session_id(result: LineageResult, job_id: str | None, now_ms: int | None = None) -> str:
    """SQLFlow's ``<64 hex>_<epoch ms>`` session id (the hex part is stable for a job)."""
    seed = f"{job_id or ''}|{result.dbvendor}|{len(result.relationships)}|{len(result.dbobjs)}"
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{hashlib.sha256(seed.encode()).hexdigest()}_{stamp}"


# -- views -----------------------------------------------------------------------------------
def _column_view(result: LineageResult) -> _View:
    return _View(result.dbobjs, result.relationships)


def _table_view(result: LineageResult) -> _View:
    """Objects with a single ``TABLE`` column each, and one relationship per process and flow type."""
    next_id = _max_id(result) + 1
    table_columns: dict[str, ColumnRef] = {}
    objects = []
    for obj in result.dbobjs:
        columns = []
        if obj.type in _DATA_OBJECT_TYPES:
            column_id = str(next_id)
            next_id += 1
            table_columns[obj.id] = ColumnRef(column_id, TABLE_COLUMN, obj.id, obj.sql_name, tuple(obj.coordinates[:1]))
            columns = [Column(column_id, TABLE_COLUMN, list(obj.coordinates))]
        objects.append(DbObject(obj.id, obj.name, obj.type, obj.database, obj.schema, columns, obj.coordinates,
                                obj.written))
    relationships = []
    for process in result.processes:
        for kind in ("fdd", "fdr"):
            sources = tuple(table_columns[s] for s, k in process.sources.items() if k == kind and s in table_columns)
            if sources and process.target_id in table_columns:
                relationship = Relationship(
                    str(next_id), kind, process.effect_type, table_columns[process.target_id], sources, process.id
                )
                relationships.append(relationship)
                next_id += 1
    return _View(objects, relationships)


def _max_id(result: LineageResult) -> int:
    ids = [int(obj.id) for obj in result.dbobjs]
    ids += [int(column.id) for obj in result.dbobjs for column in obj.columns]
    ids += [int(rel.id) for rel in result.relationships]
    return max(ids, default=0)


# -- JSON pieces -----------------------------------------------------------------------------
def _object_json(obj: DbObject) -> dict[str, Any]:
    data: dict[str, Any] = {"id": obj.id, "name": obj.sql_name, "type": obj.type}
    if obj.database:
        data["database"] = obj.database
    if obj.schema:
        data["schema"] = obj.schema
    if obj.type == "process":
        data["procedureName"] = obj.procedure or BATCH_QUERIES
    elif obj.type in ROUTINE_TYPES:  # SQLFlow's shape; the arguments are not analysed
        data["arguments"] = []
    data["columns"] = [
        {"id": column.id, "name": column.name, "coordinates": spans_to_json(column.coordinates)}
        for column in obj.columns
    ]
    data["coordinates"] = spans_to_json(obj.coordinates)
    return data


def _ref_json(ref: ColumnRef) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ref.id,
        "column": ref.column,
        "parentId": ref.parent_id,
        "parentName": ref.parent_name,
    }
    if ref.clause_type:
        data["clauseType"] = ref.clause_type
    if ref.value_kind:
        data["valueKind"] = ref.value_kind
    data["coordinates"] = spans_to_json(list(ref.coordinates))
    return data


def _relationship_json(rel: Relationship) -> dict[str, Any]:
    data: dict[str, Any] = {"id": rel.id, "type": rel.type, "effectType": rel.effect_type}
    if rel.dependency is not None:
        data["dependency"] = rel.dependency
    if rel.process_id is not None:
        data["processId"] = rel.process_id
    data["target"] = _ref_json(rel.target)
    data["sources"] = [_ref_json(source) for source in rel.sources]
    return data


def _error_json(error: LineageError) -> dict[str, Any]:
    data: dict[str, Any] = {
        "errorMessage": error.message,
        "errorType": error.error_type,
        "coordinates": error.span.to_json() if error.span else [],
    }
    if error.file_name:
        data["fileName"] = error.file_name
    if error.raw:
        data["parserMessage"] = error.raw
    return data
