"""The explorer's scene: which tables and edges are shown, laid out, as the JSON the front end draws.

:class:`ExplorerScene` holds the state the kernel keeps for one explorer (expanded tables, the mode,
the intermediate toggle) and makes the ``scene`` of ``docs/explorer.md`` ("Contract"). Every change is a
new scene, laid out again. Plain data: no widget, no IPython.

Modes: ``all`` (every table); past ``max_tables`` tables (:data:`MAX_EXPLORER_TABLES`) ``summary``: the
:data:`SUMMARY_BUSIEST` busiest tables and the busiest table's neighbourhood; ``neighbourhood``: one
table and the tables within ``depth`` arrows of it. A box's ``more`` counts its neighbours not shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ...lineage_json import ColumnEdge, LineageGraph, column_label, graph_of, is_intermediate
from ...lineage_json.shapes import Payload
from ...protocol import FLOW_TYPES
from ..lineage_svg import Box
from .edge_details import DetailIndex, EdgeDetails, Statement
from .layout import (
    HEADER_HEIGHT,
    LOOP_REACH,
    ROW_HEIGHT,
    Grid,
    Layered,
    Point,
    box_height,
    box_width,
    layered,
)

#: Past this many tables the explorer starts from a summary.
MAX_EXPLORER_TABLES = 150
#: How many of the busiest tables a summary shows (with the busiest table's neighbourhood).
SUMMARY_BUSIEST = 20
SCENE_VERSION = 1


class ExplorerScene:
    """The kernel's side of one explorer. ``file_of(hash)`` names the file of a position (or None)."""

    def __init__(self, payload: Payload, *, max_tables: int = MAX_EXPLORER_TABLES,
                 file_of: Callable[[str], str | None] = lambda _hash: None) -> None:
        self.payload = payload
        self.max_tables = max_tables
        self.file_of = file_of
        self.intermediate = False
        self.expanded: set[str] = set()
        self._graphs: dict[bool, LineageGraph] = {}
        self._index = DetailIndex(payload)
        self.mode = "summary" if len(self.graph.tables) > max_tables else "all"
        self.focus: str | None = None
        self.depth = 1
        self.edges: dict[str, dict[str, Any]] = {}  # the last scene's edges by id
        self.statements: dict[str, Statement] = {}
        # what a re-layout does not change: igraph's grid, and each edge but its points (per intermediate option)
        self._grid: Grid | None = None
        self._edge_parts: dict[tuple[bool, str], dict[str, Any]] = {}

    @property
    def graph(self) -> LineageGraph:
        """The lineage, with intermediates joined or as boxes (the ``intermediate`` option)."""
        if self.intermediate not in self._graphs:
            self._graphs[self.intermediate] = graph_of(self.payload, join_intermediates=not self.intermediate)
        return self._graphs[self.intermediate]

    # -- what the messages change ---------------------------------------------------------------
    def expand(self, table_id: str) -> None:
        self.expanded.add(self._known(table_id))

    def collapse(self, table_id: str) -> None:
        self.expanded.discard(self._known(table_id))

    def expand_all(self) -> None:
        self.expanded.update(self.shown())

    def neighbourhood(self, table_id: str, depth: int = 1) -> None:
        self.mode, self.focus, self.depth = "neighbourhood", self._known(table_id), max(1, depth)

    def summary(self) -> None:
        self.mode = "summary" if len(self.graph.tables) > self.max_tables else "all"
        self.focus = None

    def set_intermediate(self, shown: bool) -> None:
        self.intermediate = shown
        if self.focus is not None and self.focus not in {t.id for t in self.graph.tables}:
            self.summary()

    def _known(self, table_id: str) -> str:
        if not any(t.id == table_id for t in self.graph.tables):
            raise KeyError(f"no table {table_id!r} in this lineage")
        return table_id

    # -- what is shown ----------------------------------------------------------------------------
    def _neighbours(self) -> dict[str, set[str]]:
        near: dict[str, set[str]] = defaultdict(set)
        for edge in self.graph.edges:
            if edge.source != edge.target:
                near[edge.source].add(edge.target)
                near[edge.target].add(edge.source)
        return near

    def shown(self) -> list[str]:
        """The ids of the tables shown now, in the graph's order."""
        graph, near = self.graph, self._neighbours()
        if self.mode == "all":
            return [t.id for t in graph.tables]
        degree = graph.degrees()
        rank = {t.id: (-degree[t.id], t.name.casefold(), t.id) for t in graph.tables}
        if self.mode == "neighbourhood" and self.focus is not None:
            keep, ring = {self.focus}, {self.focus}
            for _ in range(self.depth):
                ring = {n for table_id in ring for n in near[table_id]} - keep
                keep |= set(sorted(ring, key=rank.__getitem__)[: max(self.max_tables - len(keep), 0)])
        else:
            busiest = [t.id for t, _degree in graph.busiest(min(SUMMARY_BUSIEST, self.max_tables))]
            keep = set(busiest)
            if busiest:
                nearest = sorted(near[busiest[0]] - keep, key=rank.__getitem__)
                keep |= set(nearest[: max(self.max_tables - len(keep), 0)])
        return [t.id for t in graph.tables if t.id in keep]

    # -- the scene --------------------------------------------------------------------------------
    def scene(self) -> dict[str, Any]:
        """The laid-out scene (``docs/explorer.md``, "Contract")."""
        graph = self.graph
        shown = self.shown()
        visible = set(shown)
        labels = {t.id: [column_label(c) for c in t.columns] for t in graph.tables if t.id in visible}
        sizes = {t.id: (box_width(t.name, labels[t.id]), box_height(len(t.columns), t.id in self.expanded))
                 for t in graph.tables if t.id in visible}
        arrows = [e for e in graph.edges if e.source in visible and e.target in visible]
        lay, self._grid = layered(sizes, [(e.source, e.target) for e in arrows], self._grid)
        degree, near = graph.degrees(), self._neighbours()
        tables = []
        for table in graph.tables:
            if table.id in visible:
                box = lay.boxes[table.id]
                tables.append({
                    "id": table.id, "name": table.name, "type": table.type, "intermediate": is_intermediate(table),
                    "x": box.x, "y": box.y, "width": box.width, "height": box.height,
                    "expanded": table.id in self.expanded, "header_height": HEADER_HEIGHT,
                    "columns": [{"name": c, "label": label, "y": HEADER_HEIGHT + ROW_HEIGHT * (i + 0.5)}
                                for i, (c, label) in enumerate(zip(table.columns, labels[table.id], strict=True))],
                    "degree": degree[table.id], "more": len(near[table.id] - visible)})
        boxes = frozenset(t.id for t in graph.tables)
        edges = self._table_arrows(graph, visible, lay, boxes) + self._column_edges(graph, visible, lay, boxes)
        self.edges = {edge["id"]: edge for edge in edges}
        return {"version": SCENE_VERSION, "width": lay.width, "height": lay.height, "mode": self.mode,
                "focus": self.focus if self.mode == "neighbourhood" else None,
                "total_tables": len(graph.tables), "total_edges": len(graph.edges),
                "hidden_tables": len(graph.tables) - len(shown), "tables": tables, "edges": edges}

    def flows(self) -> list[list[str]]:
        """Every column flow of the lineage shown (intermediates as :attr:`intermediate` says), drawn or not:
        ``[source table, source column, target table, target column, kind]``, for the front end's trace."""
        return [[e.source_table, e.source_column, e.target_table, e.target_column, e.relation_type]
                for e in self.graph.column_edges if e.relation_type in FLOW_TYPES]

    def _table_arrows(self, graph: LineageGraph, visible: set[str], lay: Layered,
                      boxes: frozenset[str]) -> list[dict[str, Any]]:
        """One arrow per table pair and kind, between the boxes' headers."""
        by_kind: dict[tuple[str, str, str], list[ColumnEdge]] | None = None
        arrows = []
        for edge in graph.edges:
            if edge.source not in visible or edge.target not in visible:
                continue
            for kind in edge.relation_types:
                edge_id = f"t:{edge.source}>{edge.target}:{kind}"
                if (self.intermediate, edge_id) not in self._edge_parts:
                    if by_kind is None:
                        by_kind = defaultdict(list)
                        for column_edge in graph.column_edges:
                            by_kind[(column_edge.source_table, column_edge.target_table,
                                     column_edge.relation_type)].append(column_edge)
                    behind = by_kind[(edge.source, edge.target, kind)]
                    details = [self._index.details(e, boxes) for e in behind[:8]]
                    effects = sorted({e.effect_type for e in behind if e.effect_type})
                    where = tuple(p for d in details for p in d.where)[:4]
                    statement = next((d.statement for d in details if d.statement), None)
                    self._parts(edge_id, edge.source, edge.target, None, None, kind, ",".join(effects) or None,
                                EdgeDetails(None, None, where, statement))
                arrows.append(self._edge(edge_id, lay))
        return arrows

    def _column_edges(self, graph: LineageGraph, visible: set[str], lay: Layered,
                      boxes: frozenset[str]) -> list[dict[str, Any]]:
        """Column-to-column edges of expanded tables (an end on a collapsed table is at its header)."""
        if not self.expanded:
            return []
        edges = []
        for i, e in enumerate(graph.column_edges):
            if e.relation_type in FLOW_TYPES and e.source_table in visible and e.target_table in visible and (
                    e.source_table in self.expanded or e.target_table in self.expanded):
                if (self.intermediate, f"c{i}") not in self._edge_parts:
                    self._parts(f"c{i}", e.source_table, e.target_table, e.source_column, e.target_column,
                                e.relation_type, e.effect_type or None, self._index.details(e, boxes))
                edges.append(self._edge(f"c{i}", lay))
        return edges

    def _parts(self, edge_id: str, source: str, target: str, source_column: str | None, target_column: str | None,
               kind: str, effect: str | None, details: EdgeDetails) -> None:
        """Keep what an edge is, all but its points (which each layout gives)."""
        statement = details.statement
        if statement is not None:
            self.statements[statement.key] = statement
        self._edge_parts[(self.intermediate, edge_id)] = {
            "id": edge_id, "source": source, "target": target, "source_column": source_column,
            "target_column": target_column, "kind": kind, "clause_type": details.clause_type,
            "effect_type": effect, "dependency": details.dependency, "points": [],
            "where": [{"file": self.file_of(p.file_hash), "line": p.line, "column": p.column} for p in details.where],
            "statement": statement.key if statement else None}

    def _edge(self, edge_id: str, lay: Layered) -> dict[str, Any]:
        edge = self._edge_parts[(self.intermediate, edge_id)]
        points = self._points(edge["source"], edge["target"], edge["source_column"], edge["target_column"], lay)
        return {**edge, "points": points}

    def _port_y(self, table_id: str, column: str | None, box: Box) -> float:
        """At the column's row when the table is expanded, else at the middle of the header."""
        if column is not None and table_id in self.expanded:
            columns = self.graph.table(table_id).columns
            if column in columns:
                return box.y + HEADER_HEIGHT + ROW_HEIGHT * (columns.index(column) + 0.5)
        return box.y + HEADER_HEIGHT / 2

    def _points(self, source: str, target: str, source_column: str | None, target_column: str | None,
                lay: Layered) -> list[list[float]]:
        src, dst = lay.boxes[source], lay.boxes[target]
        y0, y1 = self._port_y(source, source_column, src), self._port_y(target, target_column, dst)
        points: list[Point]
        if source == target or src.x == dst.x:  # a loop out of the right side (same box or same layer)
            right = max(src.x + src.width, dst.x + dst.width) + LOOP_REACH
            points = [(src.x + src.width, y0), (right, y0), (right, y1), (dst.x + dst.width, y1)]
        elif src.x < dst.x:
            points = [(src.x + src.width, y0), *lay.bends.get((source, target), []), (dst.x, y1)]
        else:
            points = [(src.x, y0), *lay.bends.get((source, target), []), (dst.x + dst.width, y1)]
        return [[x, y] for x, y in points]
