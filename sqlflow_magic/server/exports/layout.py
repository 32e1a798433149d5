"""``data.graph``: a layered layout of a lineage view, in the element shape of SQLFlow's answers.

The shape follows real answers of ``/sqlflow/generation/sqlflow/graph``: ``elements.tables`` (boxes
``n0``, ``n1``... with a label, position and size, holding their linked columns ``n0::n0``...),
``elements.edges`` (``e0``... from a column id to a column id), ``tooltip`` (shortened label -> full
name), ``relationshipIdMap`` (edge id -> the relationship ids behind it) and ``listIdMap`` (element id
-> SQLFlow object or column ids). As SQLFlow's ``showLinkOnly`` default, a box lists only the
columns that take part in a relationship. igraph's Sugiyama layout (the layout library of the
notebook picture; this module shares no code with it) puts the boxes in layers, left to right.

Past :data:`MAX_TABLES` boxes or :data:`MAX_EDGES` column edges the graph is summarised, as SQLFlow
does for large jobs (``mode: "summary"``): the :data:`SUMMARY_TABLES` busiest boxes, without columns,
with table-to-table edges.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

FONT = {"fontFamily": "Segoe UI Symbol", "fontSize": "12"}
TABLE_WIDTH = 162
COLUMN_WIDTH = 160
HEADER_HEIGHT = 25.96875
COLUMN_HEIGHT = 16
LAYER_GAP = 70
ROW_GAP = 40
CHAR_WIDTH = 7.5
MAX_LABEL = 25
MAX_TABLES = 500
MAX_EDGES = 5000
SUMMARY_TABLES = 100


def graph_of(answer: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The mode (``global`` or ``summary``) and the ``graph`` of a lineage answer's ``data.sqlflow``."""
    sqlflow = answer.get("data", {}).get("sqlflow", {})
    objects = {obj["id"]: obj for obj in sqlflow.get("dbobjs") or [] if obj.get("type") != "process"}
    links: dict[tuple[tuple[str, str], tuple[str, str]], list[str]] = defaultdict(list)
    for rel in sqlflow.get("relationships") or []:
        target = rel["target"]
        for source in rel.get("sources") or []:
            if source["parentId"] in objects and target["parentId"] in objects:
                key = ((source["parentId"], source["id"]), (target["parentId"], target["id"]))
                links[key].append(str(rel["id"]))
    boxes = list(dict.fromkeys(end[0] for pair in links for end in pair))
    if len(boxes) > MAX_TABLES or len(links) > MAX_EDGES:
        return "summary", _summarised(objects, links)
    columns: dict[str, list[str]] = {box: [] for box in boxes}
    for pair in links:
        for box, column in pair:
            if column not in columns[box]:
                columns[box].append(column)
    names = {obj_id: {c["id"]: c["name"] for c in objects[obj_id].get("columns") or []} for obj_id in boxes}
    graph = _elements(boxes, columns, objects, names, {(s[0], t[0]) for s, t in links})
    element = {(box, column): f"n{b}::n{c}" for b, box in enumerate(boxes) for c, column in enumerate(columns[box])}
    for number, (pair, rel_ids) in enumerate(links.items()):
        edge_id = f"e{number}"
        graph["elements"]["edges"].append({"id": edge_id, "sourceId": element[pair[0]], "targetId": element[pair[1]]})
        graph["relationshipIdMap"][edge_id] = rel_ids
    return "global", graph


def _summarised(objects: dict[str, Any], links: Mapping[Any, list[str]]) -> dict[str, Any]:
    """Table-to-table edges between the busiest boxes, without columns."""
    table_links: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (source, target), rel_ids in links.items():
        table_links[(source[0], target[0])].extend(rel_ids)
    degree = Counter(box for pair in table_links for box in pair)
    boxes = sorted(degree, key=lambda box: (-degree[box], box))[:SUMMARY_TABLES]
    graph = _elements(boxes, {box: [] for box in boxes}, objects, {}, set(table_links))
    element = {box: f"n{b}" for b, box in enumerate(boxes)}
    for (source, target), rel_ids in table_links.items():
        if source in element and target in element:
            edge_id = f"e{len(graph['elements']['edges'])}"
            graph["elements"]["edges"].append({"id": edge_id, "sourceId": element[source], "targetId": element[target]})
            graph["relationshipIdMap"][edge_id] = list(dict.fromkeys(rel_ids))
    return graph


def _elements(boxes: list[str], columns: dict[str, list[str]], objects: Mapping[str, Any],
              names: Mapping[str, Mapping[str, str]], arrows: set[tuple[str, str]]) -> dict[str, Any]:
    graph: dict[str, Any] = {"elements": {"tables": [], "edges": []}, "tooltip": {}, "relationshipIdMap": {},
                             "listIdMap": {}}
    positions = _positions(boxes, columns, arrows)
    for b, box in enumerate(boxes):
        x, y = positions[box]
        label, full = _label(str(objects[box].get("name") or box))
        if label != full:
            graph["tooltip"][label] = full
        table: dict[str, Any] = {"id": f"n{b}", "label": _label_element(label, TABLE_WIDTH, 17.96875), "x": x, "y": y,
                                 "width": TABLE_WIDTH, "height": HEADER_HEIGHT + COLUMN_HEIGHT * len(columns[box]),
                                 "columns": []}
        graph["listIdMap"][f"n{b}"] = [box]
        for c, column in enumerate(columns[box]):
            text, full = _label(names.get(box, {}).get(column, column))
            if text != full:
                graph["tooltip"][text] = full
            table["columns"].append({"id": f"n{b}::n{c}", "label": _label_element(text, COLUMN_WIDTH, 13.96875),
                                     "x": x + 1, "y": y + HEADER_HEIGHT - 4 + COLUMN_HEIGHT * c,
                                     "width": COLUMN_WIDTH, "height": COLUMN_HEIGHT})
            graph["listIdMap"][f"n{b}::n{c}"] = [column]
        graph["elements"]["tables"].append(table)
    return graph


def _positions(boxes: list[str], columns: Mapping[str, list[str]],
               arrows: set[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Each box's top-left corner: layers left to right, boxes stacked in igraph's order within a layer."""
    if not boxes:
        return {}
    import igraph

    index = {box: i for i, box in enumerate(boxes)}
    pairs = {(index[s], index[t]) for s, t in arrows if s in index and t in index}
    coords = igraph.Graph(n=len(boxes), edges=sorted((s, t) for s, t in pairs if s != t),
                          directed=True).layout_sugiyama().coords[:len(boxes)]
    layers: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for box, (order, layer) in zip(boxes, coords, strict=True):
        layers[round(layer)].append((order, box))
    positions: dict[str, tuple[float, float]] = {}
    for layer, members in layers.items():
        y = 0.0
        for _order, box in sorted(members):
            positions[box] = (layer * (TABLE_WIDTH + LAYER_GAP), y)
            y += HEADER_HEIGHT + COLUMN_HEIGHT * len(columns[box]) + ROW_GAP
    return positions


def _label(text: str) -> tuple[str, str]:
    """A label as SQLFlow shortens it (first 10 and last 12 characters), and the full text."""
    return (text if len(text) <= MAX_LABEL else f"{text[:10]}...{text[-12:]}"), text


def _label_element(text: str, width: int, height: float) -> dict[str, Any]:
    return {"content": text, **FONT, "height": height, "width": min(width, round(len(text) * CHAR_WIDTH) + 8),
            "x": 0, "y": 0}
