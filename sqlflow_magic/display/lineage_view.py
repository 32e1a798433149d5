"""The lineage as a picture: a static display that every notebook front end shows, live or saved.

:class:`LineageView` draws the table-level lineage left to right (tables and views as boxes, data
flow as arrows). Its ``_repr_mimebundle_`` carries ``text/html`` (the picture as an ``<img>`` of its
SVG, scrollable when wider than the output, then a collapsed ``<details>`` section of columns and
column edges per table) and ``text/plain`` (``A -> B`` lines). No widget: a widget output is lost
when a notebook is saved and reopened without its kernel, and inline ``<svg>`` is stripped by the
sanitiser of untrusted notebooks, while an ``<img>`` with a ``data:`` source survives both
(``docs/saved-outputs.md`` has the front ends' rules). Past :data:`MAX_TABLES` tables or
:data:`MAX_EDGES` arrows the whole graph is not drawn: a summary (counts, busiest tables) comes with
the neighbourhood of the busiest table; ``%sqlflow_lineage --show --table NAME`` draws another's.
"""

from __future__ import annotations

import base64
from typing import Any

from ..lineage_json import RESULT_SET, ColumnEdge, LineageGraph, column_label, read_lineage
from .lineage_svg import to_svg
from .lineage_svg import xml_escape as esc

#: Past this many tables or arrows, a summary and one table's neighbourhood are shown instead.
MAX_TABLES = 60
MAX_EDGES = 150
BUSIEST = 10
TEXT_EDGE_LIMIT = 200
#: Table names the picture's ``alt`` text lists.
ALT_TABLES = 12
#: Lines of the text form's column section (one per target column), at most.
TEXT_COLUMN_LIMIT = 200
#: The order of relation types wherever column edges are listed: data flow first.
KIND_ORDER = {"fdd": 0, "fdr": 1, "frd": 2, "fddi": 3}
_CELL = 'style="text-align:left;padding:1px 8px 1px 0"'


def _kind(object_type: str) -> str:
    return "result set" if object_type == RESULT_SET else object_type


class LineageView:
    """Shows SQLFlow lineage JSON (job export, generation answer, or its ``sqlflow`` part) as a picture."""

    def __init__(self, lineage_json: Any, *, max_tables: int = MAX_TABLES, max_edges: int = MAX_EDGES,
                 title: str = "SQLFlow lineage") -> None:
        self.graph = lineage_json if isinstance(lineage_json, LineageGraph) else read_lineage(lineage_json)
        self.title = title
        self.max_tables = max_tables
        self.max_edges = max_edges
        self._svgs: dict[str | None, str] = {}
        counts: dict[str, int] = {}
        self._labels: dict[str, str] = {}  # table id -> unique label (names can repeat across ids)
        for table in self.graph.tables:
            counts[table.name] = counts.get(table.name, 0) + 1
        for table in self.graph.tables:
            self._labels[table.id] = table.name if counts[table.name] == 1 else f"{table.name} [{table.id}]"

    # -- what is drawn -------------------------------------------------------------------------
    @property
    def is_large(self) -> bool:
        return len(self.graph.tables) > self.max_tables or len(self.graph.edges) > self.max_edges

    @property
    def default_focus(self) -> str | None:
        """The table whose neighbourhood a large lineage shows first: the busiest one."""
        busiest = self.graph.busiest(1)
        return busiest[0][0].id if self.is_large and busiest else None

    def picture_graph(self, focus: str | None = None) -> LineageGraph:
        """The whole graph when small; else ``focus`` (default: the busiest table) and its neighbours."""
        focus = focus or self.default_focus
        if focus is None or not self.is_large:
            return self.graph
        near = self.graph.neighbourhood(focus, self.max_tables)
        if len(near.edges) > self.max_edges:  # dense: keep only the arrows of the focus table
            keep = [e for e in near.edges if focus in (e.source, e.target)]
            near = LineageGraph(near.tables, tuple(keep), near.column_edges, near.error, near.notes)
        return near

    def svg(self, focus: str | None = None) -> str:
        """The SVG picture (cached per focus table)."""
        focus = focus or self.default_focus
        if focus not in self._svgs:
            title = self.title if focus is None else f"{self.title}: neighbourhood of {self._labels[focus]}"
            self._svgs[focus] = to_svg(self.picture_graph(focus), title=title)
        return self._svgs[focus]

    # -- HTML and text ---------------------------------------------------------------------------
    def columns_html(self, table_id: str) -> str:
        """A table's columns and the column-level edges into and out of it, as HTML."""
        graph = self.graph
        table = graph.table(table_id)
        columns = ", ".join(f"<code>{esc(c)}</code>" for c in table.columns) or "<i>no columns listed</i>"
        rows = []
        for edge in self._grouped(graph.column_edges_of(table_id), table_id):
            direction = "self" if edge.source_table == edge.target_table else (
                "in" if edge.target_table == table_id else "out")
            rows.append(f"<tr><td {_CELL}>{direction}</td><td {_CELL}>{self._end(edge, True)}</td>"
                        f"<td {_CELL}>{self._end(edge, False)}</td><td {_CELL}>{esc(edge.relation_type)}</td>"
                        f"<td {_CELL}>{esc(edge.effect_type)}</td></tr>")
        head = "".join(f"<th {_CELL}>{h}</th>" for h in ("", "Source", "Target", "Relation", "Effect"))
        edges = (f"<table class=\"sqlflow-column-edges\"><thead><tr>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>") if rows else "<i>no column-level edges</i>"
        return (f'<div class="sqlflow-columns" data-table="{esc(table.name)}"><b>{esc(self._labels[table_id])}</b> '
                f"({esc(_kind(table.type))})<br/>Columns ({len(table.columns)}): {columns}<br/>{edges}</div>")

    def _grouped(self, edges: list[ColumnEdge], table_id: str) -> list[ColumnEdge]:
        """Edges into the table first, each target column's together, ``fdd`` before ``fdr``; then those out."""
        def key(e: ColumnEdge) -> tuple[object, ...]:
            return (e.target_table != table_id, self._labels[e.target_table], e.target_column,
                    KIND_ORDER.get(e.relation_type, len(KIND_ORDER)), e.relation_type,
                    self._labels[e.source_table], e.source_column)
        return sorted(edges, key=key)

    def columns_text(self) -> list[str]:
        """One line per target column: its sources, ``fdd`` first, then ``fdr`` and the other kinds."""
        sources: dict[tuple[str, str], dict[str, list[str]]] = {}
        for edge in self.graph.column_edges:
            kinds = sources.setdefault((edge.target_table, edge.target_column), {})
            kinds.setdefault(edge.relation_type, []).append(
                f"{self._labels[edge.source_table]}.{column_label(edge.source_column)}")
        lines: list[str] = []
        table = None
        order = {t.id: i for i, t in enumerate(self.graph.tables)}
        for (target, column), kinds in sorted(sources.items(), key=lambda item: (order[item[0][0]], item[0][1])):
            if len(lines) >= TEXT_COLUMN_LIMIT:
                lines.append(f"  ... and {len(sources) - TEXT_COLUMN_LIMIT} more columns")
                break
            if target != table:
                table = target
                lines.append(f"  {self._labels[target]}:")
            ranked = sorted(kinds.items(), key=lambda kind: (KIND_ORDER.get(kind[0], len(KIND_ORDER)), kind[0]))
            lines.append(f"    {column_label(column)} <- " + "; ".join(f"{kind}: {', '.join(names)}"
                                                                       for kind, names in ranked))
        return ["Columns (target <- sources):", *lines] if lines else []

    def _end(self, edge: ColumnEdge, source: bool) -> str:
        table, column = (edge.source_table, edge.source_column) if source else (edge.target_table, edge.target_column)
        return f"<code>{esc(self._labels[table])}.{esc(column_label(column))}</code>"

    def _details_html(self, graph: LineageGraph) -> str:
        sections = []
        for table in graph.tables:
            edges = len(self.graph.column_edges_of(table.id))
            about = f"{_kind(table.type)}, {_counted(len(table.columns), 'column')}, {_counted(edges, 'column edge')}"
            sections.append(f'<details class="sqlflow-table-details" data-table="{esc(table.name)}"><summary>'
                            f"<b>{esc(self._labels[table.id])}</b>: {esc(about)}</summary>"
                            f"{self.columns_html(table.id)}</details>")
        return "".join(sections)

    def _error_html(self) -> str:
        """The answer's error and the notes on what is not drawn, one line each."""
        error = f'<div class="sqlflow-error">{esc(self.graph.error)}</div>' if self.graph.error else ""
        return error + "".join(f'<div class="sqlflow-lineage-note">{esc(note)}</div>' for note in self.graph.notes)

    def summary_html(self) -> str:
        """Counts and the busiest tables, for a lineage too large to draw whole."""
        counts = ", ".join(f"{esc(kind)}: {n}" for kind, n in self.graph.counts().items())
        rows = "".join(f"<tr><td {_CELL}>{esc(self._labels[t.id])}</td><td {_CELL}>{esc(_kind(t.type))}</td>"
                       f"<td {_CELL}>{degree}</td></tr>" for t, degree in self.graph.busiest(BUSIEST))
        return (f'<div class="sqlflow-lineage-summary">Too large to draw whole (limits: {self.max_tables} tables, '
                f"{self.max_edges} arrows): {counts}.<br/><b>Busiest tables</b><table><thead><tr>"
                f"<th {_CELL}>Table</th><th {_CELL}>Type</th><th {_CELL}>Arrows</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")

    def _note_html(self, focus: str | None) -> str:
        if focus is None:
            return ""
        return (f'<div class="sqlflow-note">Drawn: <b>{esc(self._labels[focus])}</b> with its direct upstream '
                f"and downstream tables ({len(self.picture_graph(focus).tables)} boxes); draw another table's with "
                "<code>%sqlflow_lineage --show --table NAME</code>.</div>")

    def picture_html(self, focus: str | None = None) -> str:
        """The picture as an ``<img>`` of its SVG, at its own size, in a box that scrolls when it is wider."""
        svg = self.svg(focus)
        width, height = (svg.split(f'{name}="', 1)[1].split('"', 1)[0] for name in ("width", "height"))
        shown = [self._labels[t.id] for t in self.picture_graph(focus).tables]
        alt = f"{self.title}: {len(shown)} tables" + (f" ({', '.join(shown[:ALT_TABLES])}" + (
            ", ..." if len(shown) > ALT_TABLES else "") + ")" if shown else "")
        source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        return (f'<div class="sqlflow-picture" style="overflow-x:auto;max-width:100%">'
                f'<img class="sqlflow-lineage-picture" src="{source}" width="{width}" height="{height}" '
                f'alt="{esc(alt)}" title="{esc(alt)}" style="max-width:none"/></div>')

    def html(self) -> str:
        """The static HTML form: title, (summary), the picture, then a collapsed section per table."""
        focus = self.default_focus
        summary = self.summary_html() + self._note_html(focus) if self.is_large else ""
        return (f'<div class="sqlflow-lineage"><b>{esc(self.title)}</b>{self._error_html()}{summary}'
                f"{self.picture_html(focus)}{self._details_html(self.picture_graph(focus))}</div>")

    def text(self) -> str:
        """Plain text: counts, (busiest tables,) one ``A -> B`` line per arrow, then each target's columns."""
        counts = ", ".join(f"{kind}: {n}" for kind, n in self.graph.counts().items() if n)
        lines = [f"{self.title}: {counts or 'no tables'}"]
        if self.graph.error:
            lines.append(f"  error: {self.graph.error}")
        lines += [f"  note: {note}" for note in self.graph.notes]
        if self.is_large:
            lines.append("Busiest tables: " + ", ".join(f"{self._labels[t.id]} ({d})"
                                                        for t, d in self.graph.busiest(BUSIEST)))
        edges = self.graph.edges
        lines += [f"  {self._labels[e.source]} -> {self._labels[e.target]} ({', '.join(e.relation_types)})"
                  for e in edges[:TEXT_EDGE_LIMIT]]
        if len(edges) > TEXT_EDGE_LIMIT:
            lines.append(f"  ... and {len(edges) - TEXT_EDGE_LIMIT} more")
        return "\n".join(lines + self.columns_text())

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html()}


def _counted(number: int, noun: str) -> str:
    """``1 column``, ``2 columns``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
