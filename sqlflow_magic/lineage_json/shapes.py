"""The shapes of SQLFlow's lineage JSON, read into one flat form.

Real SQLFlow servers answer in three generations (``docs/compatibility.md`` lists the tested ones):

1. 2021: the edges are under ``relations``; ``dbobjs`` is a flat list; ``summary`` counts ``relation``.
2. 2022: the edges are under ``relationships``; ``process`` objects sit in the flat ``dbobjs``.
3. 2023+: ``dbobjs`` is ``{"createdBy", "servers": [{"databases" | "schemas": [...]}]}``: each server,
   database or schema holds ``tables``, ``views``, ``others``, ``procedures``, ``functions``,
   ``packages`` (holding procedures and functions), ``triggers`` and ``processes``; a separate
   ``processes`` list sits beside it.

One vendor sample spells the edge list ``relationship``; every list found is read. The payload may be
a whole answer (``{"code", "data": {...}}``), a job export (lineage under ``data.sqlflow``), a generation
answer (lineage directly under ``data``), or the ``sqlflow`` part alone; ``code`` may be an int or a
string. Nothing here decides what is drawn: see :mod:`sqlflow_magic.lineage_json.graph`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The spellings of the edge list, newest first.
EDGE_LISTS = ("relationships", "relations", "relationship")
#: Levels of a nested ``dbobjs``: the key of the child list and the part of a name it gives.
_LEVELS = (("servers", ""), ("databases", "database"), ("schemas", "schema"))
#: Object lists of a nested ``dbobjs`` level and the type of an object that does not say its own.
_OBJECT_LISTS = (("tables", "table"), ("views", "view"), ("others", "other"), ("procedures", "procedure"),
                 ("functions", "function"), ("triggers", "trigger"), ("packages", "package"),
                 ("processes", "process"))
#: Name parts that name nothing: SQLFlow's placeholders and empty quoted identifiers.
_UNNAMED_PARTS = frozenset({"", "default", "default_server", '""', "[]", "``"})


@dataclass(frozen=True)
class Position:
    """One point of SQLFlow's ``coordinates``: 1-based ``line`` (``x``) and ``column`` (``y``) and the
    ``hashCode`` of the file it is in (``"0"`` when the answer does not tell files apart). A span is two
    points, start then end; an object or column lists a span per occurrence."""

    line: int
    column: int
    file_hash: str = "0"


@dataclass(frozen=True)
class RawColumn:
    id: str
    name: str
    visible: bool = True


@dataclass(frozen=True)
class RawObject:
    """A ``dbobjs`` entry, with the database and schema it names or is nested in."""

    id: str
    name: str
    type: str
    database: str = ""
    schema: str = ""
    columns: tuple[RawColumn, ...] = ()
    coordinates: tuple[Position, ...] = ()

    @property
    def qualified_name(self) -> str:
        return qualified(self.database, self.schema, self.name)


@dataclass(frozen=True)
class RawEnd:
    """One end of a relationship: the column ``column`` (id ``id``) of object ``parent_id``.

    ``clause_type`` is SQLFlow's ``clauseType`` of a row-deciding source (``where``, ``joinCondition``,
    ...); ``value_kind`` the embedded server's ``valueKind`` of a value source (``identity``,
    ``transformation``, ``aggregation``). Both are empty when the answer does not give them.
    """

    id: str
    column: str
    parent_id: str
    parent_name: str
    clause_type: str = ""
    value_kind: str = ""
    coordinates: tuple[Position, ...] = ()


@dataclass(frozen=True)
class RawRelationship:
    """An edge list entry; ``dependency`` is SQLFlow's ``simple``/``function``/``expression``, or empty;
    ``process_id`` the ``processId`` of the statement's process where the answer names it (the hop into a
    statement's target in 2023+ answers; every relationship of the embedded server), else empty."""

    id: str
    type: str
    effect_type: str
    target: RawEnd
    sources: tuple[RawEnd, ...]
    dependency: str = ""
    process_id: str = ""


@dataclass(frozen=True)
class Payload:
    """What an answer says, whatever its generation."""

    objects: tuple[RawObject, ...] = ()
    relationships: tuple[RawRelationship, ...] = ()
    code: int | None = None
    error: str = ""
    mode: str = "global"
    summary: Mapping[str, Any] = field(default_factory=dict)
    dbvendor: str = ""


def read_payload(payload: Any) -> Payload:
    """Read SQLFlow lineage JSON (a ``dict`` or JSON text) of any generation."""
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    if not isinstance(payload, dict):
        raise TypeError(f"lineage JSON must be an object, got {type(payload).__name__}")
    levels = [payload]
    while isinstance(levels[-1].get("data"), dict):
        levels.append(levels[-1]["data"])
    if isinstance(levels[-1].get("sqlflow"), dict):
        levels.append(levels[-1]["sqlflow"])
    lineage = levels[-1]
    objects = {obj.id: obj for obj in _objects(lineage.get("dbobjs")) if obj.id}
    objects.update((obj.id, obj) for obj in _listed(lineage.get("processes"), "process", {}) if obj.id)
    relationships = [rel for key in EDGE_LISTS for rel in _relationships(lineage.get(key))]
    return Payload(
        objects=tuple(objects.values()), relationships=tuple(relationships),
        code=code_of(payload), error=str(_first(levels, "error") or ""),
        mode=str(_first(levels, "mode") or "global"), summary=_first(levels, "summary") or {},
        dbvendor=str(_first(levels, "dbvendor") or ""),
    )


def code_of(answer: Mapping[str, Any]) -> int | None:
    """The ``code`` field as an int: SQLFlow sends ``200`` on job calls and ``"200"`` on the token call."""
    code = answer.get("code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code.strip())
    return None


def is_unnamed(part: str) -> bool:
    """Whether a database or schema name is one of SQLFlow's placeholders for "none"."""
    return part.strip().casefold() in _UNNAMED_PARTS


def qualified(database: str, schema: str, name: str) -> str:
    """``name`` qualified by the named parts, without repeating those it is written with already."""
    parts = [p for p in (database, schema) if not is_unnamed(p)]
    folded = name.casefold()
    for start in range(len(parts)):  # "Sales.Orders" in database D, schema Sales: D.Sales.Orders
        if folded.startswith(".".join(parts[start:]).casefold() + "."):
            return ".".join([*parts[:start], name])
    return ".".join([*parts, name])


def _first(levels: list[dict[str, Any]], key: str) -> Any:
    """The value of ``key`` on the innermost level that has it."""
    return next((level[key] for level in reversed(levels) if level.get(key) is not None), None)


def _objects(dbobjs: Any) -> Iterator[RawObject]:
    if isinstance(dbobjs, list):
        yield from _listed(dbobjs, "table", {})
    elif isinstance(dbobjs, dict):
        yield from _nested(dbobjs, {})


def _nested(node: dict[str, Any], context: dict[str, str]) -> Iterator[RawObject]:
    for key, part in _LEVELS:
        for child in node.get(key) or []:
            if isinstance(child, dict):
                yield from _nested(child, {**context, part: str(child.get("name") or "")} if part else context)
    for key, default_type in _OBJECT_LISTS:
        yield from _listed(node.get(key), default_type, context)
        if key == "packages":
            for package in node.get(key) or []:
                if isinstance(package, dict):
                    yield from _nested({k: package.get(k) for k in ("procedures", "functions")}, context)


def _listed(raw_objects: Any, default_type: str, context: dict[str, str]) -> Iterator[RawObject]:
    for raw in raw_objects if isinstance(raw_objects, list) else ():
        if not isinstance(raw, dict):
            continue
        database = str(raw.get("database") or context.get("database") or "")
        schema = str(raw.get("schema") or context.get("schema") or "")
        name = str(raw.get("name") or raw.get("displayName") or raw.get("id") or "?")
        columns = tuple(RawColumn(str(c.get("id") or ""), str(c.get("name") or ""), c.get("uiVisible") is not False)
                        for c in raw.get("columns") or [] if isinstance(c, dict))
        yield RawObject(str(raw.get("id") or ""), name, str(raw.get("type") or default_type), database, schema,
                        columns, coordinates_of(raw))


def _relationships(raw_list: Any) -> Iterator[RawRelationship]:
    for raw in raw_list if isinstance(raw_list, list) else ():
        if not isinstance(raw, dict) or not isinstance(raw.get("target"), dict):
            continue
        sources = tuple(_end(s) for s in raw.get("sources") or [] if isinstance(s, dict))
        yield RawRelationship(str(raw.get("id") or ""), str(raw.get("type") or ""), str(raw.get("effectType") or ""),
                              _end(raw["target"]), sources, str(raw.get("dependency") or ""),
                              str(raw.get("processId") or ""))


def _end(raw: dict[str, Any]) -> RawEnd:
    parent_name = str(raw.get("parentName") or "")
    parent_id = str(raw.get("parentId") or "") or f"name:{parent_name or '?'}"
    return RawEnd(str(raw.get("id") or ""), str(raw.get("column") or raw.get("name") or ""), parent_id, parent_name,
                  str(raw.get("clauseType") or ""), str(raw.get("valueKind") or ""), coordinates_of(raw))


def coordinates_of(raw: Mapping[str, Any]) -> tuple[Position, ...]:
    """The points of an entry's ``coordinates`` (those without an integer line and column are skipped)."""
    points = raw.get("coordinates")
    if not isinstance(points, list) or not points:
        return ()
    return tuple(Position(p["x"], p["y"], str(p.get("hashCode") or "0")) for p in points
                 if isinstance(p, dict) and type(p.get("x")) is int and type(p.get("y")) is int)
