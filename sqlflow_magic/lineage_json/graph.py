"""SQLFlow lineage as a small typed graph: tables, table-level arrows and column-level edges. Pure data.

:func:`read_lineage` reads every shape of :mod:`~sqlflow_magic.lineage_json.shapes` into a
:class:`LineageGraph`, the one model behind every view (the picture, the text summary, the column
tables, the DataFrames).

What becomes a box: data stores (tables, views, files, stages, ...). ``process`` objects are dropped;
routines (procedures, functions, triggers, packages) are never boxes. Every other object is a SQL
intermediate (``select_list``, ``insert-select``, ``update-set``, ``merge-insert``, ``pseudoTable``,
``constantTable``, ``function`` results, ...): flows through it are joined (``A -> X -> B`` becomes
``A -> B``; ``fdd`` only when every hop is ``fdd``, else the indirect kind nearest the target; the
effect type of the last hop). An intermediate that ends a flow (the result set of a plain ``SELECT``)
stays as a box of type ``result_set`` under SQLFlow's own name (``RS-1``).

Arrows are the flow types ``fdd`` (values), ``fdr``, ``frd`` and ``fddi`` (indirect). ``join``,
``call`` and ``er`` relationships are listed with the columns but draw no arrow: they move no data.
The pseudo columns ``TABLE`` (table-level exports), ``RelationRows`` and ``PseudoRows`` (the rows of
an object) stand for the object, not a column. What cannot be drawn is said in :attr:`LineageGraph.notes`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..protocol import FLOW_TYPES
from .shapes import Payload, RawEnd, RawRelationship, read_payload

STORE_TYPES = frozenset({"table", "view", "file", "directory", "stage", "path", "external_table", "temp_table",
                         "stream", "sequence", "materialized_view"})
ROUTINE_TYPES = frozenset({"procedure", "function", "trigger", "package"})
DROPPED_TYPES = frozenset({"process"})
RESULT_SET = "result_set"
#: Pseudo columns (compared case-insensitively) and how they are shown.
PSEUDO_COLUMNS = {"table": "(whole table)", "relationrows": "(rows)", "pseudorows": "(rows)"}
OK_CODES = frozenset({200, 203})


def is_pseudo_column(name: str) -> bool:
    return name.casefold() in PSEUDO_COLUMNS


def column_label(name: str) -> str:
    """A column name as shown: pseudo columns read as what they stand for."""
    return PSEUDO_COLUMNS.get(name.casefold(), name)


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
    """Boxes and arrows in a stable order (by display name), the column edges behind them, and notes."""

    tables: tuple[LineageTable, ...]
    edges: tuple[TableEdge, ...]
    column_edges: tuple[ColumnEdge, ...]
    error: str = ""
    notes: tuple[str, ...] = ()
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
                            self.error, self.notes)


def read_lineage(payload: Any, *, join_intermediates: bool = True) -> LineageGraph:
    """Read SQLFlow lineage JSON of any generation (a ``dict`` or JSON text) into a :class:`LineageGraph`.

    ``join_intermediates=False`` keeps SQL intermediates (``insert-select``, ``select_list``, ...) as boxes
    of their own type, with the flows into and out of them as they are: the explorer's intermediate toggle.
    """
    return graph_of(read_payload(payload), join_intermediates=join_intermediates)


def graph_of(payload: Payload, *, join_intermediates: bool = True) -> LineageGraph:
    """:func:`read_lineage` of a payload already read by :func:`~.shapes.read_payload`."""
    return _Builder(payload, join_intermediates).build()


def is_intermediate(table: LineageTable) -> bool:
    """Whether a box is a SQL intermediate, drawn only with ``join_intermediates=False``."""
    return table.type != RESULT_SET and table.type.casefold() not in STORE_TYPES


@dataclass
class _Object:
    id: str
    name: str
    type: str
    columns: list[str]

    @property
    def kind(self) -> str:
        return self.type.casefold()


Node = tuple[str, str]  # (object id, column name)
Hop = tuple[Node, str, str]  # (next node, relation type, effect type)


def _joined(first: str, rest: str) -> str:
    """The kind of a flow joined from two hops: fdd only if both are; else the indirect kind nearest the target."""
    return first if rest == "fdd" else rest


class _Builder:
    """Turns objects and relationships into boxes and column edges, joining flows through intermediates."""

    def __init__(self, payload: Payload, join_intermediates: bool = True) -> None:
        self.payload = payload
        self.objects = {o.id: _Object(o.id, o.qualified_name if o.type.casefold() in STORE_TYPES else o.name,
                                      o.type, [c.name for c in o.columns if c.visible and c.name
                                               and not is_pseudo_column(c.name)])
                        for o in payload.objects}
        self.implicit: set[str] = set()
        self.hops: dict[Node, list[Hop]] = defaultdict(list)
        self.listed: list[ColumnEdge] = []
        for rel in payload.relationships:
            self._add(rel)
        has_out = {node[0] for node in self.hops}
        has_in = {nxt[0] for hops in self.hops.values() for nxt, _, _ in hops}
        self.on_flows = has_in | has_out
        self.boxes = {oid for oid, obj in self.objects.items() if obj.kind in STORE_TYPES}
        self.result_sets = {oid for oid in has_in - has_out if oid not in self.boxes
                            and self.objects[oid].kind not in DROPPED_TYPES | ROUTINE_TYPES}
        if not join_intermediates:  # every other object on a flow is a box too: no flow is joined
            self.boxes |= {oid for oid in self.on_flows - self.result_sets
                           if self.objects[oid].kind not in DROPPED_TYPES | ROUTINE_TYPES}
        self._reach: dict[Node, set[Hop]] = {}

    def _add(self, rel: RawRelationship) -> None:
        to = self._node(rel.target)
        for source in rel.sources:
            node = self._node(source)
            if rel.type in FLOW_TYPES:
                self.hops[node].append((to, rel.type, rel.effect_type))
            else:
                self.listed.append(ColumnEdge(node[0], node[1], to[0], to[1], rel.type, rel.effect_type))

    def _node(self, end: RawEnd) -> Node:
        parent = end.parent_id
        if parent not in self.objects:  # referenced but not listed: a plain table, columns from its refs
            self.objects[parent] = _Object(parent, end.parent_name or parent, "table", [])
            self.implicit.add(parent)
        obj = self.objects[parent]
        if parent in self.implicit and end.column and not is_pseudo_column(end.column) \
                and end.column not in obj.columns:
            obj.columns.append(end.column)
        return parent, end.column

    def _is_box(self, object_id: str) -> bool:
        return object_id in self.boxes or object_id in self.result_sets

    def _reachable(self, node: Node) -> set[Hop]:
        """Box columns reached from the intermediate column ``node`` (memoised; cycles cut)."""
        if node in self._reach:
            return self._reach[node]
        self._reach[node] = found = set()
        for nxt, kind, effect in self.hops.get(node, ()):
            if self._is_box(nxt[0]):
                found.add((nxt, kind, effect))
            else:
                found.update((box, _joined(kind, k2), e2) for box, k2, e2 in self._reachable(nxt))
        return found

    def build(self) -> LineageGraph:
        column_edges: set[ColumnEdge] = {e for e in self.listed if self._is_box(e.source_table)
                                         and self._is_box(e.target_table)}
        for node, hops in list(self.hops.items()):
            if not self._is_box(node[0]):
                continue
            for nxt, kind, effect in hops:
                ends = {(nxt, kind, effect)} if self._is_box(nxt[0]) else {
                    (box, _joined(kind, k2), e2) for box, k2, e2 in self._reachable(nxt)}
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
        return LineageGraph(tuple(tables), tuple(edges), tuple(ordered_edges), self._error(),
                            tuple(self._notes(len(tables), len(edges))))

    def _error(self) -> str:
        payload = self.payload
        if payload.code is not None and payload.code not in OK_CODES:
            return f"SQLFlow answered code {payload.code}: {payload.error or 'no error message'}"
        return payload.error

    def _notes(self, boxes: int, arrows: int) -> list[str]:
        """One line for each thing the answer holds that the picture does not draw, and why."""
        payload, notes = self.payload, []
        if payload.mode.casefold() == "summary":
            counts = ", ".join(f"{payload.summary[k]} {k}s" for k in ("table", "view", "relationship", "relation")
                               if isinstance(payload.summary.get(k), int))
            counts = f": {counts}" if counts else ""
            missing = "" if payload.relationships else (
                "; this answer lists none of its relationships: ask for one table's lineage "
                "(%sqlflow_lineage --table NAME)")
            notes.append(f"SQLFlow sent a summary of this large job (mode \"summary\"{counts}){missing}.")
        listed = Counter(rel.type or "untyped" for rel in payload.relationships if rel.type not in FLOW_TYPES)
        if listed:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(listed.items()))
            notes.append(f"Not drawn as arrows (they move no data; listed with the columns): {kinds} relationships.")
        routines = Counter(obj.kind for obj in self.objects.values()
                           if obj.kind in ROUTINE_TYPES and obj.id not in self.on_flows)
        if routines:
            kinds = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(routines.items()))
            notes.append(f"Not drawn as boxes (routines, not data stores): {kinds}.")
        if not payload.relationships and not self._error() and payload.mode.casefold() != "summary":
            notes.append(f"The answer lists {len(payload.objects)} objects and no relationships: there is no "
                         "data flow to draw.")
        elif payload.relationships and not arrows and not listed:
            notes.append(f"None of the answer's {len(payload.relationships)} relationships joins two of its "
                         f"{boxes} tables, views or result sets: there is no arrow to draw.")
        return notes
