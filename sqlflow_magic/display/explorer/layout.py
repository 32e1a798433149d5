"""The explorer's layout: igraph's layered (Sugiyama) layout, left to right, with boxes of varying height.

The same method as the static picture (:mod:`sqlflow_magic.display.lineage_svg`): igraph picks each
box's layer and its order in the layer (cycles broken, crossings reduced), long arrows are split into
one-layer hops through dummy vertices, and we turn igraph's unit grid into pixels. What differs: an
expanded box is taller (a header and a row per column), so a layer is stacked top to bottom in igraph's
order, each box at its grid place or just below the box above it, whichever is lower. igraph's order
does not depend on heights, so expanding a box pushes the boxes below it down and moves nothing else.
A dummy vertex is a point where an arrow crosses a layer: the arrow's bend points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..lineage_svg import Box

HEADER_HEIGHT = 40
ROW_HEIGHT = 20
ROWS_PADDING = 6
LAYER_GAP = 110
BOX_GAP = 22
MARGIN = 28
CHAR_WIDTH = 7.3  # 12px monospace
MIN_BOX_WIDTH = 120
MAX_BOX_WIDTH = 340
#: How far a loop (an arrow from a box to itself) reaches out of the box's right side.
LOOP_REACH = 18

Point = tuple[float, float]


@dataclass(frozen=True)
class Layered:
    """Boxes by id, the bend points of each arrow ``(source, target)`` in its direction, and the size."""

    boxes: dict[str, Box]
    bends: dict[tuple[str, str], list[Point]]
    width: float
    height: float


def box_width(name: str, column_labels: Sequence[str]) -> float:
    """A box wide enough for its name and its column rows (the same collapsed or expanded), within bounds."""
    longest = max([len(name), *(len(label) + 2 for label in column_labels)])
    return min(MAX_BOX_WIDTH, max(MIN_BOX_WIDTH, CHAR_WIDTH * longest + 24))


def box_height(columns: int, expanded: bool) -> float:
    """A header, and a row per column when expanded."""
    return HEADER_HEIGHT + (ROW_HEIGHT * columns + ROWS_PADDING if expanded and columns else 0)


@dataclass(frozen=True)
class Grid:
    """igraph's part of a layout, which box heights do not change: each vertex's layer and place in it
    (boxes first, then the dummy vertices), and the chain of vertices of each arrow."""

    ids: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    layers: tuple[int, ...]
    places: tuple[float, ...]
    arrows: tuple[tuple[int, int], ...]
    chains: tuple[tuple[int, ...], ...]


def grid(ids: Sequence[str], pairs: Sequence[tuple[str, str]]) -> Grid:
    """Layers and places of boxes ``ids`` with arrows ``pairs`` (source id, target id), from igraph."""
    import igraph

    index = {table_id: i for i, table_id in enumerate(ids)}
    arrows = list(dict.fromkeys((index[s], index[t]) for s, t in pairs if s != t))
    n = len(ids)
    layers = [round(c[1]) for c in igraph.Graph(n=n, edges=arrows, directed=True).layout_sugiyama().coords[:n]]
    chains: list[tuple[int, ...]] = []
    hops: list[tuple[int, int]] = []
    for s, t in arrows:  # a dummy vertex per layer crossed, so that every hop spans one layer
        step = 1 if layers[t] > layers[s] else -1
        chain = [s]
        for layer in range(layers[s] + step, layers[t], step):
            chain.append(len(layers))
            layers.append(layer)
        chain.append(t)
        chains.append(tuple(chain))
        hops.extend(pairwise(chain))
    count = len(layers)
    places = [c[0] for c in igraph.Graph(n=count, edges=hops, directed=True).layout_sugiyama(
        layers=layers).coords[:count]]
    return Grid(tuple(ids), tuple(pairs), tuple(layers), tuple(places), tuple(arrows), tuple(chains))


def layered(sizes: dict[str, tuple[float, float]], pairs: Sequence[tuple[str, str]],
            cached: Grid | None = None) -> tuple[Layered, Grid]:
    """Lay out boxes of ``sizes`` (id -> (width, height)) with arrows ``pairs`` (source id, target id).

    ``cached``: the grid of the same boxes and arrows from an earlier call (an expand or collapse changes
    heights only), reused; the grid used is returned with the layout."""
    ids = list(sizes)
    if not ids:
        return Layered({}, {}, 2 * MARGIN + MIN_BOX_WIDTH, 2 * MARGIN + HEADER_HEIGHT), grid((), ())
    same = cached is not None and cached.ids == tuple(ids) and cached.pairs == tuple(pairs)
    layout_grid = cached if same and cached is not None else grid(ids, pairs)
    layers, arrows, chains, n = layout_grid.layers, layout_grid.arrows, layout_grid.chains, len(ids)
    top = min(layout_grid.places)
    widths = [sizes[table_id][0] for table_id in ids]
    layer_width = [0.0] * (max(layers) + 1)
    for i in range(n):
        layer_width[layers[i]] = max(layer_width[layers[i]], widths[i])
    layer_x = [MARGIN + sum(layer_width[:k]) + LAYER_GAP * k for k in range(len(layer_width))]
    y = _stacked(layers, layout_grid.places, top, [sizes[table_id][1] for table_id in ids])
    boxes = {ids[i]: Box(layer_x[layers[i]] + (layer_width[layers[i]] - widths[i]) / 2, y[i], widths[i],
                         sizes[ids[i]][1]) for i in range(n)}
    bends: dict[tuple[str, str], list[Point]] = {}
    for (s, t), chain in zip(arrows, chains, strict=True):
        points: list[Point] = []
        for dummy in chain[1:-1]:
            left, right = layer_x[layers[dummy]], layer_x[layers[dummy]] + layer_width[layers[dummy]]
            points.extend([(left, y[dummy]), (right, y[dummy])] if layers[t] > layers[s] else
                          [(right, y[dummy]), (left, y[dummy])])
        bends[(ids[s], ids[t])] = points
    width = MARGIN * 2 + sum(layer_width) + LAYER_GAP * (len(layer_width) - 1)
    height = max(b.y + b.height for b in boxes.values()) + MARGIN
    return Layered(boxes, bends, width, height), layout_grid


def _stacked(layers: Sequence[int], places: Sequence[float], top: float, heights: list[float]) -> list[float]:
    """The top of each box (the height of an arrow's bend for a dummy) stacked down each layer in igraph's
    order: at its grid place (a collapsed box's height and a gap per unit) or below the one above it."""
    unit = HEADER_HEIGHT + BOX_GAP
    y = [0.0] * len(layers)
    order = sorted(range(len(layers)), key=lambda v: (layers[v], places[v]))
    cursor: dict[int, float] = {}
    for v in order:
        real = v < len(heights)
        wanted = MARGIN + (places[v] - top) * unit
        start = max(wanted, cursor.get(layers[v], MARGIN))
        # a dummy is a line at the middle of a collapsed box's place: nothing may cover it
        y[v] = start if real else start + HEADER_HEIGHT / 2
        cursor[layers[v]] = start + (heights[v] if real else HEADER_HEIGHT) + BOX_GAP
    return y
