"""SQLFlow's export shapes of a :class:`LineageResult`: lineage JSON, CSV, GraphML, the sync answer."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from dataclasses import dataclass
from xml.etree import ElementTree

from sqlflow_magic.server.lineage.model import (
    Column,
    ColumnRef,
    DbObject,
    LineageError,
    LineageResult,
    Relationship,
    spans_to_json,
)

CSV_FIELDS = (
    "source_db", "source_schema", "source_table", "source_column",
    "target_db", "target_schema", "target_table", "target_column",
    "relation_type", "effect_type",
)  # fmt: skip
#: The CSV header with the default delimiter.
CSV_HEADER = ",".join(CSV_FIELDS)
TABLE_COLUMN = "TABLE"
_DATA_OBJECT_TYPES = ("table", "view", "select_list")
_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


@dataclass(frozen=True)
class _View:
    """The objects and relationships to export (column level, or table level with ``TABLE`` columns)."""

    objects: list[DbObject]
    relationships: list[Relationship]


def to_sqlflow_json(
    result: LineageResult, job_id: str | None = None, table_level: bool = False, *, now_ms: int | None = None
) -> dict:
    """The answer of ``exportLineageAsJson``: ``{"code": 200, "data": {...}, "sessionId", "jobId"}``."""
    view = _table_view(result) if table_level else _column_view(result)
    sqlflow = {
        "dbvendor": result.dbvendor,
        "dbobjs": [_object_json(obj) for obj in view.objects],
        "relationships": [_relationship_json(rel) for rel in view.relationships],
        "errors": [_error_json(error) for error in result.errors],
    }
    data = {
        "mode": "global",
        "summary": _summary(view),
        "sqlflow": sqlflow,
        "graph": {
            "elements": {"tables": [], "edges": []},
            "tooltip": {},
            "relationshipIdMap": {},
            "listIdMap": {},
        },
    }
    return {"code": 200, "data": data, "sessionId": session_id(result, job_id, now_ms), "jobId": job_id}


def generation_response(result: LineageResult) -> dict:
    """The answer of the synchronous ``/sqlflow/generation/sqlflow`` endpoint (lineage under ``data``).

    ``code`` is 200 on success, 203 (partial success, with an ``error`` string) otherwise.
    """
    view = _column_view(result)
    data = {
        "dbvendor": result.dbvendor,
        "dbobjs": [_object_json(obj) for obj in view.objects],
        "relationships": [_relationship_json(rel) for rel in view.relationships],
        "errors": [_error_json(error) for error in result.errors],
        "summary": _summary(view),
    }
    answer: dict = {"code": 200, "data": data}
    if result.status != "success":
        answer["code"] = 203
        problems = [e.message for e in result.errors if not e.is_hint] or ["nothing could be analysed"]
        answer["error"] = "; ".join(problems[:5])
    return answer


def to_csv(result: LineageResult, delimiter: str = ",", table_level: bool = False) -> str:
    """The ``exportFullLineageAsCsv`` body: one row per source column; unknown db/schema read ``DEFAULT``.

    ``delimiter`` must be one character (``csv`` module rule); a ``ValueError`` says so otherwise.
    """
    if len(delimiter) != 1:
        raise ValueError(f"the CSV delimiter must be a single character, got {delimiter!r}")
    view = _table_view(result) if table_level else _column_view(result)
    objects = {obj.id: obj for obj in view.objects}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for rel in view.relationships:
        target = objects[rel.target.parent_id]
        for source_ref in rel.sources:
            source = objects[source_ref.parent_id]
            writer.writerow(
                (
                    *_csv_names(source), source_ref.column,
                    *_csv_names(target), rel.target.column,
                    rel.type, rel.effect_type,
                )
            )  # fmt: skip
    return buffer.getvalue()


def to_graphml(result: LineageResult, table_level: bool = False) -> str:
    """The ``exportLineageAsGraphml`` body: tables (and columns) as labelled nodes, flows as edges."""
    view = _table_view(result) if table_level else _column_view(result)
    ElementTree.register_namespace("", _GRAPHML_NS)
    root = ElementTree.Element(f"{{{_GRAPHML_NS}}}graphml")
    keys = (
        ("label", "node", "label"), ("kind", "node", "kind"), ("qualified", "node", "qualified_name"),
        ("parent", "node", "parent"), ("relation", "edge", "relation_type"), ("effect", "edge", "effect_type"),
        ("edgekind", "edge", "kind"),
    )  # fmt: skip
    for key_id, domain, name in keys:
        ElementTree.SubElement(
            root, f"{{{_GRAPHML_NS}}}key", {"id": key_id, "for": domain, "attr.name": name, "attr.type": "string"}
        )
    graph = ElementTree.SubElement(root, f"{{{_GRAPHML_NS}}}graph", {"id": "lineage", "edgedefault": "directed"})

    def add(tag: str, attributes: dict[str, str], data: dict[str, str]) -> None:
        element = ElementTree.SubElement(graph, f"{{{_GRAPHML_NS}}}{tag}", attributes)
        for key, value in data.items():
            ElementTree.SubElement(element, f"{{{_GRAPHML_NS}}}data", {"key": key}).text = value

    edges: list[tuple[str, str, dict[str, str]]] = []
    for obj in view.objects:
        if obj.type not in _DATA_OBJECT_TYPES:
            continue
        add("node", {"id": f"t{obj.id}"}, {"label": obj.name, "kind": obj.type, "qualified": obj.qualified_name})
        if table_level:
            continue
        for column in obj.columns:
            label = f"{obj.name}.{column.name}"
            add("node", {"id": f"c{column.id}"}, {"label": label, "kind": "column", "parent": obj.qualified_name})
            edges.append((f"t{obj.id}", f"c{column.id}", {"edgekind": "contains"}))
    seen: set[tuple[str, str, str, str]] = set()
    prefix = "t" if table_level else "c"
    for rel in view.relationships:
        target = prefix + (rel.target.parent_id if table_level else rel.target.id)
        for source_ref in rel.sources:
            source = prefix + (source_ref.parent_id if table_level else source_ref.id)
            if (source, target, rel.type, rel.effect_type) not in seen:
                seen.add((source, target, rel.type, rel.effect_type))
                edges.append((source, target, {"relation": rel.type, "effect": rel.effect_type, "edgekind": "lineage"}))
    for number, (source, target, data) in enumerate(edges, start=1):
        add("edge", {"id": f"e{number}", "source": source, "target": target}, data)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


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
            table_columns[obj.id] = ColumnRef(column_id, TABLE_COLUMN, obj.id, obj.name, tuple(obj.coordinates[:1]))
            columns = [Column(column_id, TABLE_COLUMN, list(obj.coordinates))]
        objects.append(DbObject(obj.id, obj.name, obj.type, obj.database, obj.schema, columns, obj.coordinates))
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
def _object_json(obj: DbObject) -> dict:
    data: dict = {"id": obj.id, "name": obj.name, "type": obj.type}
    if obj.database:
        data["database"] = obj.database
    if obj.schema:
        data["schema"] = obj.schema
    data["columns"] = [
        {"id": column.id, "name": column.name, "coordinates": spans_to_json(column.coordinates)}
        for column in obj.columns
    ]
    data["coordinates"] = spans_to_json(obj.coordinates)
    return data


def _ref_json(ref: ColumnRef) -> dict:
    return {
        "id": ref.id,
        "column": ref.column,
        "parentId": ref.parent_id,
        "parentName": ref.parent_name,
        "coordinates": spans_to_json(list(ref.coordinates)),
    }


def _relationship_json(rel: Relationship) -> dict:
    data: dict = {"id": rel.id, "type": rel.type, "effectType": rel.effect_type}
    if rel.process_id is not None:
        data["processId"] = rel.process_id
    data["target"] = _ref_json(rel.target)
    data["sources"] = [_ref_json(source) for source in rel.sources]
    return data


def _error_json(error: LineageError) -> dict:
    data: dict = {
        "errorMessage": error.message,
        "errorType": error.error_type,
        "coordinates": error.span.to_json() if error.span else [],
    }
    if error.file_name:
        data["fileName"] = error.file_name
    return data


def _summary(view: _View) -> dict[str, int]:
    data_objects = [obj for obj in view.objects if obj.type in _DATA_OBJECT_TYPES]
    databases = {obj.database for obj in data_objects if obj.database}
    schemas = {(obj.database, obj.schema) for obj in data_objects if obj.schema}
    return {
        "database": len(databases),
        "schema": len(schemas),
        "table": sum(1 for obj in data_objects if obj.type == "table"),
        "view": sum(1 for obj in data_objects if obj.type == "view"),
        "column": sum(len(obj.columns) for obj in data_objects),
        "relationship": len(view.relationships),
        "process": sum(1 for obj in view.objects if obj.type == "process"),
    }


def _csv_names(obj: DbObject) -> tuple[str, str, str]:
    return obj.database or "DEFAULT", obj.schema or "DEFAULT", obj.name
