"""SQLFlow's lineage JSON as a small typed graph: tables, table-level edges and column-level edges.

Pure data, no drawing. :func:`parse_lineage` accepts a job export (``data.sqlflow``), a generation
answer (lineage directly under ``data``), or the ``sqlflow`` part itself, with ``dbobjs`` either a
flat list or nested as ``{"servers": [{"databases"|"schemas": [{"tables": [...], "views": [...]}]}]}``.

What becomes a box: data stores (tables, views, files, stages, ...) are boxes. ``process`` objects
are dropped. Every other object is a SQL intermediate (``select_list``, ``insert-select``,
``update-set``, ``union``, ``cte``, ...): flows through it are joined (``A -> X -> B`` becomes
``A -> B``, ``fdd`` only when every hop is ``fdd``, with the effect type of the last hop). An
intermediate that ends a flow (the result set of a plain ``SELECT``) stays as a box of type
``result_set`` under SQLFlow's own name (``RS-1``). ``join`` and ``call`` relationships are listed
with the columns but draw no arrow: they move no data. Table-level exports (``tableToTable``), whose
only column is the pseudo column ``TABLE``, give arrows and no column list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Object types drawn as boxes; ``process`` is dropped, every other type is a pass-through.
BOX_TYPES = frozenset({"table", "view", "file", "directory", "stage", "path", "external_table", "temp_table",
                       "stream", "sequence"})
DROPPED_TYPES = frozenset({"process"})
RESULT_SET = "result_set"
FLOW_TYPES = ("fdd", "fdr")
#: Column names that stand for the whole object (table-level exports).
PSEUDO_COLUMNS = frozenset({"TABLE"})
_NESTED_LEVELS = (("servers", ""), ("databases", "database"), ("schemas", "schema"))
_OBJECT_LISTS = (("tables", "table"), ("views", "view"), ("others", "other"))
_UNNAMED_PARTS = frozenset({"", "default", "default_server"})


@dataclass(frozen=True)
class LineageTable:
    """A box of the picture: ``id`` is SQLFlow's object id, ``name`` the qualified display name."""

    id: str
    name: str
    type: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnEdge:
    """``source_table.source_column -> target_table.target_column`` (table ids, column names)."""

    source_table: str
    source_column: str
    target_table: str
    target_column: str
    relation_type: str
    effect_type: str


@dataclass(frozen=True)
class TableEdge:
    """A data-flow arrow between two boxes, with the relation and effect types of its column edges."""

    source: str
    target: str
    relation_types: tuple[str, ...]
    effect_types: tuple[str, ...]


@dataclass(frozen=True)
class LineageGraph:
    """Boxes and arrows in a stable order (by display name), plus the column edges behind them."""

    tables: tuple[LineageTable, ...]
    edges: tuple[TableEdge, ...]
    column_edges: tuple[ColumnEdge, ...]
    error: str = ""
    _by_id: dict[str, LineageTable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {table.id: table for table in self.tables})

    def table(self, table_id: str) -> LineageTable:
        return self._by_id[table_id]

    def name(self, table_id: str) -> str:
        return self._by_id[table_id].name

    def degrees(self) -> dict[str, int]:
        """Number of arrows into and out of each table (self-loops count once)."""
        degree = dict.fromkeys(self._by_id, 0)
        for edge in self.edges:
            degree[edge.source] += 1
            if edge.target != edge.source:
                degree[edge.target] += 1
        return degree

    def busiest(self, count: int = 5) -> list[tuple[LineageTable, int]]:
        """The ``count`` tables with most arrows, busiest first (ties by name)."""
        degree = self.degrees()
        ranked = sorted(self.tables, key=lambda t: (-degree[t.id], t.name.casefold(), t.id))
        return [(table, degree[table.id]) for table in ranked[:count]]

    def column_edges_of(self, table_id: str) -> list[ColumnEdge]:
        return [e for e in self.column_edges if table_id in (e.source_table, e.target_table)]

    def counts(self) -> dict[str, int]:
        """How many tables, views, result sets, other objects, columns, arrows and column edges."""
        kinds = [t.type if t.type in ("table", "view", RESULT_SET) else "other" for t in self.tables]
        return {"tables": kinds.count("table"), "views": kinds.count("view"), "result sets": kinds.count(RESULT_SET),
                "other objects": kinds.count("other"), "columns": sum(len(t.columns) for t in self.tables),
                "table edges": len(self.edges), "column edges": len(self.column_edges)}

    def neighbourhood(self, table_id: str, max_tables: int | None = None) -> LineageGraph:
        """``table_id`` with its direct upstream and downstream tables (busiest first past ``max_tables``)."""
        near = {e.target for e in self.edges if e.source == table_id} | {
            e.source for e in self.edges if e.target == table_id}
        near.discard(table_id)
        degree = self.degrees()
        ranked = sorted(near, key=lambda t: (-degree[t], self.name(t).casefold(), t))
        if max_tables is not None:
            ranked = ranked[: max(max_tables - 1, 0)]
        return self.subgraph({table_id, *ranked})

    def subgraph(self, table_ids: Iterable[str]) -> LineageGraph:
        """The tables of ``table_ids`` with the edges between them."""
        keep = set(table_ids)
        return LineageGraph(tuple(t for t in self.tables if t.id in keep),
                            tuple(e for e in self.edges if e.source in keep and e.target in keep),
                            tuple(e for e in self.column_edges if e.source_table in keep and e.target_table in keep),
                            self.error)


@dataclass
class _Object:
    id: str
    name: str
    type: str
    columns: list[str]


def parse_lineage(payload: Any) -> LineageGraph:
    """Read SQLFlow lineage JSON (a ``dict`` or JSON text) into a :class:`LineageGraph`."""
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    if not isinstance(payload, dict):
        raise TypeError(f"lineage JSON must be an object, got {type(payload).__name__}")
    error = str(payload.get("error") or "")
    part = payload
    if isinstance(part.get("data"), dict):
        part = part["data"]
    if isinstance(part.get("sqlflow"), dict):
        part = part["sqlflow"]
    objects = {obj.id: obj for obj in _objects(part.get("dbobjs"))}
    relationships = [r for r in part.get("relationships") or [] if isinstance(r, dict)]
    return _Builder(objects, relationships).build(error)


def _objects(dbobjs: Any) -> list[_Object]:
    found: list[_Object] = []
    if isinstance(dbobjs, list):
        found = [_object(raw, "", {}) for raw in dbobjs if isinstance(raw, dict)]
    elif isinstance(dbobjs, dict):
        _walk(dbobjs, {}, found)
    return [obj for obj in found if obj.id]


def _walk(node: dict, context: dict[str, str], found: list[_Object]) -> None:
    for key, level in _NESTED_LEVELS:
        for child in node.get(key) or []:
            if isinstance(child, dict):
                _walk(child, {**context, level: str(child.get("name") or "")} if level else context, found)
    for key, default_type in _OBJECT_LISTS:
        found.extend(_object(raw, default_type, context) for raw in node.get(key) or [] if isinstance(raw, dict))


def _object(raw: dict, default_type: str, context: dict[str, str]) -> _Object:
    kind = str(raw.get("type") or default_type or "table")
    name = str(raw.get("name") or raw.get("id") or "?")
    if kind in BOX_TYPES:
        name = _qualified(str(raw.get("database") or context.get("database") or ""),
                          str(raw.get("schema") or context.get("schema") or ""), name)
    columns = [str(c.get("name") or "") for c in raw.get("columns") or []
               if isinstance(c, dict) and c.get("uiVisible", True) is not False]
    return _Object(str(raw.get("id") or ""), name, kind, [c for c in columns if c and c not in PSEUDO_COLUMNS])


def _qualified(database: str, schema: str, name: str) -> str:
    parts = [p for p in (database, schema) if p.casefold() not in _UNNAMED_PARTS]
    while parts and name.casefold().startswith(".".join(parts).casefold() + "."):
        parts = []  # the name is already qualified
    return ".".join([*parts, name])


class _Builder:
    """Turns objects and relationships into boxes and column edges, joining flows through intermediates."""

    def __init__(self, objects: dict[str, _Object], relationships: list[dict]) -> None:
        self.objects = objects
        # column node = (object id, column name); hops[node] = [(next node, relation type, effect type)]
        self.hops: dict[tuple[str, str], list[tuple[tuple[str, str], str, str]]] = defaultdict(list)
        self.joins: list[ColumnEdge] = []
        self.implicit: set[str] = set()
        for rel in relationships:
            self._add(rel)
        has_out = {node[0] for node in self.hops}
        has_in = {nxt[0] for hops in self.hops.values() for nxt, _, _ in hops}
        self.boxes = {oid for oid, obj in objects.items() if obj.type in BOX_TYPES}
        self.result_sets = {oid for oid in has_in - has_out if oid not in self.boxes and oid in objects
                            and objects[oid].type not in DROPPED_TYPES}
        self._reach: dict[tuple[str, str], set[tuple[tuple[str, str], str, str]]] = {}

    def _add(self, rel: dict) -> None:
        target = rel.get("target") if isinstance(rel.get("target"), dict) else None
        kind, effect = str(rel.get("type") or ""), str(rel.get("effectType") or "")
        sources = [s for s in rel.get("sources") or [] if isinstance(s, dict)]
        if target is None or not sources:
            return
        to = self._node(target)
        for source in sources:
            node = self._node(source)
            if kind in FLOW_TYPES:
                self.hops[node].append((to, kind, effect))
            else:
                self.joins.append(ColumnEdge(node[0], node[1], to[0], to[1], kind, effect))

    def _node(self, ref: dict) -> tuple[str, str]:
        parent = str(ref.get("parentId") or "") or f"name:{ref.get('parentName') or '?'}"
        column = str(ref.get("column") or ref.get("name") or "")
        if parent not in self.objects:  # referenced but not listed: a plain table, columns from its refs
            self.objects[parent] = _Object(parent, str(ref.get("parentName") or parent), "table", [])
            self.implicit.add(parent)
        obj = self.objects[parent]
        if parent in self.implicit and column and column not in PSEUDO_COLUMNS and column not in obj.columns:
            obj.columns.append(column)
        return parent, column

    def _is_box(self, object_id: str) -> bool:
        return object_id in self.boxes or object_id in self.result_sets

    def _reachable(self, node: tuple[str, str]) -> set[tuple[tuple[str, str], str, str]]:
        """Box columns reached from the intermediate column ``node`` (memoised; cycles cut)."""
        if node in self._reach:
            return self._reach[node]
        self._reach[node] = found = set()
        for nxt, kind, effect in self.hops.get(node, ()):
            if self._is_box(nxt[0]):
                found.add((nxt, kind, effect))
            else:
                found.update((box, "fdd" if kind == k2 == "fdd" else "fdr", e2) for box, k2, e2 in self._reachable(nxt))
        return found

    def build(self, error: str) -> LineageGraph:
        column_edges: set[ColumnEdge] = {e for e in self.joins if self._is_box(e.source_table)
                                         and self._is_box(e.target_table)}
        for node, hops in list(self.hops.items()):
            if not self._is_box(node[0]):
                continue
            for nxt, kind, effect in hops:
                ends = {(nxt, kind, effect)} if self._is_box(nxt[0]) else {
                    (box, "fdd" if kind == k2 == "fdd" else "fdr", e2) for box, k2, e2 in self._reachable(nxt)}
                column_edges.update(ColumnEdge(node[0], node[1], box[0], box[1], k, e) for box, k, e in ends)
        used = {e.target_table for e in column_edges} | {e.source_table for e in column_edges}
        tables = [LineageTable(oid, obj.name, RESULT_SET if oid in self.result_sets else obj.type,
                               tuple(obj.columns)) for oid, obj in self.objects.items()
                  if oid in self.boxes or (oid in self.result_sets and oid in used)]
        tables.sort(key=lambda t: (t.name.casefold(), t.name, t.id))
        order = {t.id: i for i, t in enumerate(tables)}
        ordered_edges = sorted(column_edges, key=lambda e: (order[e.source_table], e.source_column,
                                                            order[e.target_table], e.target_column,
                                                            e.relation_type, e.effect_type))
        flows: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
        for edge in ordered_edges:
            if edge.relation_type in FLOW_TYPES:
                kinds, effects = flows.setdefault((edge.source_table, edge.target_table), (set(), set()))
                kinds.add(edge.relation_type)
                if edge.effect_type:
                    effects.add(edge.effect_type)
        edges = [TableEdge(s, t, tuple(sorted(k)), tuple(sorted(e)))
                 for (s, t), (k, e) in sorted(flows.items(), key=lambda item: (order[item[0][0]], order[item[0][1]]))]
        return LineageGraph(tuple(tables), tuple(edges), tuple(ordered_edges), error)
