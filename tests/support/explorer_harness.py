"""A stand-in kernel side for the lineage explorer's front end: the real JavaScript, a hand-made scene.

``HarnessExplorer`` is an ``anywidget.AnyWidget`` that loads ``display/explorer/js/`` in ``ORDER`` and
``explorer.css``, as the contract (docs/explorer.md) says the real widget does, and answers the
contract's messages from a small lineage written here: ``expand``/``collapse``/``expand_all`` lay the
boxes out again (a plain grid: one column of boxes per layer), ``options`` switches the intermediate
box on and off, ``sql`` answers with the statement's text. It lets the browser tests and
``benchmarks/explorer_interactions.py`` drive the front end before and beside the Python side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anywidget
from traitlets import Dict

EXPLORER = Path(__file__).resolve().parents[2] / "sqlflow_magic" / "display" / "explorer"
HEADER, ROW, PAD, LAYER_GAP, BOX_GAP, WIDTH, MARGIN = 32, 20, 6, 120, 24, 180, 30


def explorer_esm() -> str:
    """The front end as the widget loads it: the files of ``js/ORDER`` joined in that order."""
    names = (EXPLORER / "js" / "ORDER").read_text(encoding="utf-8").split()
    return "\n".join((EXPLORER / "js" / name).read_text(encoding="utf-8") for name in names)


@dataclass
class HandLineage:
    """Tables ``{id: (name, type, layer, columns)}``, column edges ``(source, column, target, column,
    kind, statement)`` and the statements ``{key: (file, line, text)}``; ``via`` is an intermediate box
    with its own edges, shown instead of ``joined`` edges when intermediates are boxes."""

    tables: dict[str, tuple[str, str, int, list[str]]]
    edges: list[tuple[str, str, str, str, str, str]]
    statements: dict[str, tuple[str, int, str]]
    via: dict[str, tuple[str, str, int, list[str]]] = field(default_factory=dict)
    via_edges: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)  # indexes in edges replaced by via_edges


def _edge(i: str, source: dict[str, Any], target: dict[str, Any], scol: str | None, tcol: str | None, kind: str,
          statement: str, statements: dict[str, tuple[str, int, str]]) -> dict[str, Any]:
    def port(table: dict[str, Any], column: str | None, right: bool) -> list[float]:
        rows = {c["name"]: c["y"] for c in table["columns"]}
        y = rows[column] if column is not None and table["expanded"] else table["header_height"] / 2
        return [table["x"] + (table["width"] if right else 0), table["y"] + y]

    start, end = port(source, scol, True), port(target, tcol, False)
    middle = (start[0] + end[0]) / 2
    file, line, _text = statements[statement]
    return {"id": i, "source": source["id"], "target": target["id"], "source_column": scol, "target_column": tcol,
            "kind": kind, "clause_type": None, "effect_type": "insert", "dependency": None,
            "points": [start, [middle, start[1]], [middle, end[1]], end],
            "where": [{"file": file, "line": line, "column": 1}], "statement": statement}


def lay_out(lineage: HandLineage, expanded: set[str], intermediate: bool) -> dict[str, Any]:
    """The scene of ``lineage``: boxes stacked per layer, a table arrow per pair and kind, column edges
    where an end is expanded."""
    specs = {**lineage.tables, **(lineage.via if intermediate else {})}
    edges = [e for i, e in enumerate(lineage.edges) if not (intermediate and i in lineage.joined)]
    edges += lineage.via_edges if intermediate else []
    heights: dict[int, float] = {}
    tables: dict[str, dict[str, Any]] = {}
    for table_id, (name, kind, layer, columns) in specs.items():
        is_open = table_id in expanded
        height = HEADER + (len(columns) * ROW + PAD if is_open else 0)
        y = heights.get(layer, MARGIN)
        heights[layer] = y + height + BOX_GAP
        tables[table_id] = {"id": table_id, "name": name, "type": kind, "intermediate": table_id in lineage.via,
                            "x": MARGIN + layer * (WIDTH + LAYER_GAP), "y": y, "width": WIDTH, "height": height,
                            "expanded": is_open, "header_height": HEADER,
                            "columns": [{"name": c, "label": c, "y": HEADER + PAD / 2 + ROW * (i + 0.5)}
                                        for i, c in enumerate(columns)], "degree": 0, "more": 0}
    scene_edges: list[dict[str, Any]] = []
    pairs: dict[tuple[str, str, str], str] = {}
    for source, scol, target, tcol, kind, statement in edges:
        pair = (source, target, kind)
        if pair not in pairs:
            pairs[pair] = statement
            tables[source]["degree"] += 1
            tables[target]["degree"] += 1
        if source in expanded or target in expanded:
            scene_edges.append(_edge(f"{source}.{scol}>{target}.{tcol}:{kind}", tables[source], tables[target], scol, tcol, kind,
                                     statement, lineage.statements))
    for (source, target, kind), statement in pairs.items():
        scene_edges.append(_edge(f"{source}>{target}:{kind}", tables[source], tables[target], None, None, kind,
                                 statement, lineage.statements))
    layers = max(spec[2] for spec in specs.values()) + 1
    return {"version": 1, "width": 2 * MARGIN + layers * WIDTH + (layers - 1) * LAYER_GAP,
            "height": max(heights.values()) + MARGIN, "mode": "all", "focus": None,
            "total_tables": len(tables), "total_edges": len(pairs), "hidden_tables": 0,
            "tables": list(tables.values()), "edges": scene_edges}


class HarnessExplorer(anywidget.AnyWidget):
    """The explorer's front end on a hand-made lineage; answers the contract's messages itself."""

    _esm = explorer_esm()
    _css = (EXPLORER / "explorer.css").read_text(encoding="utf-8")
    scene = Dict().tag(sync=True)
    options = Dict({"intermediate": False}).tag(sync=True)

    def __init__(self, lineage: HandLineage) -> None:
        super().__init__()
        self.lineage = lineage
        self.expanded: set[str] = set()
        self.scene = lay_out(lineage, self.expanded, False)
        self.on_msg(self._answer)

    def _relayout(self) -> None:
        self.scene = lay_out(self.lineage, self.expanded, bool(self.options.get("intermediate")))

    def _answer(self, _widget: Any, message: dict[str, Any], _buffers: Any) -> None:
        event = message.get("event")
        if event in ("expand", "collapse"):
            (self.expanded.add if event == "expand" else self.expanded.discard)(str(message["table"]))
            self._relayout()
        elif event == "expand_all":
            self.expanded = {t["id"] for t in self.scene["tables"]}
            self._relayout()
        elif event == "options":
            self.options = {"intermediate": bool(message.get("intermediate"))}
            self._relayout()
        elif event == "sql":
            edge = next(e for e in self.scene["edges"] if e["id"] == message["edge"])
            file, line, text = self.lineage.statements[edge["statement"]]
            self.send({"event": "sql", "edge": edge["id"], "available": True, "file": file, "line": line,
                       "column": 1, "text": text, "reason": None})


ORDERS_SQL = ("INSERT INTO stg.orders (order_id, customer_id, amount)\n"
              "SELECT order_id, customer_id, amount FROM app.orders WHERE status = 'paid';")
REVENUE_SQL = ("INSERT INTO mart.revenue (country, revenue)\nSELECT c.country, SUM(o.amount)\n"
               "FROM stg.orders o JOIN app.customers c ON c.customer_id = o.customer_id GROUP BY c.country;")
AUDIT_SQL = "INSERT INTO audit.log (order_id) SELECT order_id FROM stg.orders;"


def demo_lineage() -> HandLineage:
    """Five tables, fdd and fdr edges, and an INSERT-SELECT intermediate between stg.orders and mart.revenue."""
    tables = {"app.orders": ("app.orders", "table", 0, ["order_id", "customer_id", "amount", "status"]),
              "app.customers": ("app.customers", "table", 0, ["customer_id", "country"]),
              "stg.orders": ("stg.orders", "table", 1, ["order_id", "customer_id", "amount"]),
              "audit.log": ("audit.log", "table", 2, ["order_id"]),
              "mart.revenue": ("mart.revenue", "view", 3, ["country", "revenue"])}
    edges = [("app.orders", "order_id", "stg.orders", "order_id", "fdd", "orders"),
             ("app.orders", "customer_id", "stg.orders", "customer_id", "fdd", "orders"),
             ("app.orders", "amount", "stg.orders", "amount", "fdd", "orders"),
             ("app.orders", "status", "stg.orders", "order_id", "fdr", "orders"),
             ("stg.orders", "amount", "mart.revenue", "revenue", "fdd", "revenue"),
             ("app.customers", "country", "mart.revenue", "country", "fdd", "revenue"),
             ("stg.orders", "customer_id", "mart.revenue", "revenue", "fdr", "revenue"),
             ("stg.orders", "order_id", "audit.log", "order_id", "fdd", "audit")]
    via = {"insert-select-1": ("INSERT-SELECT-1", "insert-select", 2, ["revenue"])}
    via_edges = [("stg.orders", "amount", "insert-select-1", "revenue", "fdd", "revenue"),
                 ("insert-select-1", "revenue", "mart.revenue", "revenue", "fdd", "revenue")]
    statements = {"orders": ("<cell 2>", 1, ORDERS_SQL), "revenue": ("<cell 2>", 3, REVENUE_SQL),
                  "audit": ("<cell 2>", 6, AUDIT_SQL)}
    return HandLineage(tables, edges, statements, via, via_edges, joined={4})


def big_lineage(tables: int = 300, layers: int = 10, columns: int = 8, seed: int = 19) -> HandLineage:
    """``tables`` tables in ``layers`` layers; each later table reads two or three earlier ones, every
    column from one source column (fdd) and one more (fdr): a few thousand column edges."""
    import random

    rng = random.Random(seed)
    names = [f"c{i}" for i in range(columns)]
    specs: dict[str, tuple[str, str, int, list[str]]] = {}
    by_layer: dict[int, list[str]] = {}
    for i in range(tables):
        layer = i * layers // tables
        table_id = f"s{layer}.t{i:03d}"
        specs[table_id] = (table_id, "table", layer, names)
        by_layer.setdefault(layer, []).append(table_id)
    edges: list[tuple[str, str, str, str, str, str]] = []
    for table_id, (_n, _k, layer, _c) in specs.items():
        if layer == 0:
            continue
        sources = rng.sample(by_layer[layer - 1], 2) + rng.sample([t for lay in range(layer) for t in by_layer[lay]], 1)
        for column in names:
            edges.append((rng.choice(sources), rng.choice(names), table_id, column, "fdd", "big"))
            edges.append((rng.choice(sources), rng.choice(names), table_id, column, "fdr", "big"))
    # one intermediate, so that the intermediate toggle changes the scene: between the first edge's ends
    source, source_column, target, target_column, _kind, _statement = edges[0]
    via = {"insert-select-1": ("INSERT-SELECT-1", "insert-select", 0, [target_column])}
    via_edges = [(source, source_column, "insert-select-1", target_column, "fdd", "big"),
                 ("insert-select-1", target_column, target, target_column, "fdd", "big")]
    return HandLineage(specs, edges, {"big": ("<generated>", 1, "-- generated lineage")}, via, via_edges, {0})
