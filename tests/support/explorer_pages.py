"""What the browser tests and the explorer benchmark do to lineage explorers on a notebook page.

``explorer_notebook`` writes a notebook that submits SQL to the embedded server and opens its lineage
with ``%sqlflow_lineage --show``, then shows ``LineageExplorer`` on a SQLFlow answer written here with
an ``INSERT-SELECT`` intermediate (the local engine makes none: SQLFlow's servers do), for the
intermediate toggle, then the first lineage again in summary mode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.browser_pages import STDERR, open_and_run_all

ROOT = ".sqlflow-explorer"
#: The SQL of the notebook's submit: an fdd chain with WHERE and JOIN (fdr) edges; five tables.
SQL = """INSERT INTO stg.orders (order_id, customer_id, amount)
SELECT order_id, customer_id, amount FROM app.orders WHERE status = 'paid';
INSERT INTO mart.revenue (country, revenue)
SELECT c.country, SUM(o.amount) FROM stg.orders o JOIN app.customers c ON c.customer_id = o.customer_id
GROUP BY c.country;
INSERT INTO audit.order_log (order_id) SELECT order_id FROM stg.orders;
"""
TABLES = {"app.orders", "app.customers", "stg.orders", "mart.revenue", "audit.order_log"}


def _column(table: str, name: str) -> dict[str, Any]:
    return {"id": f"{table}.{name}", "column": name, "parentId": table, "parentName": table}


def _flow(relation_id: str, source: str, target: str) -> dict[str, Any]:
    return {"id": relation_id, "type": "fdd", "effectType": "insert", "target": _column(target, "v"),
            "sources": [_column(source, "v")]}


#: A SQLFlow answer whose value passes through an INSERT-SELECT intermediate: app.src -> INSERT-SELECT-1 -> app.dst.
WITH_INTERMEDIATE = {"code": 200, "data": {"mode": "global", "sqlflow": {"dbvendor": "dbvoracle", "dbobjs": [
    {"id": "src", "name": "app.src", "type": "table", "columns": [{"id": "src.v", "name": "v"}]},
    {"id": "is1", "name": "INSERT-SELECT-1", "type": "insert-select", "columns": [{"id": "is1.v", "name": "v"}]},
    {"id": "dst", "name": "app.dst", "type": "table", "columns": [{"id": "dst.v", "name": "v"}]}],
    "relationships": [_flow("1", "src", "is1"), _flow("2", "is1", "dst")]}}}


def explorer_notebook(path: Path, sql: str = SQL, *, intermediate_explorer: bool = True,
                      summary_explorer: bool = True, max_tables: int | None = None) -> None:
    """A notebook that submits ``sql`` (``--wait``) and shows ``%sqlflow_lineage --show``; then, with
    ``intermediate_explorer``, a ``LineageExplorer`` of :data:`WITH_INTERMEDIATE`; then, with
    ``summary_explorer``, ``--show`` again with ``max_explorer_tables`` = 3."""
    cells = ["%load_ext sqlflow_magic"]
    if max_tables is not None:
        cells.append(f"%config SQLFlowMagics.max_explorer_tables = {max_tables}")
    cells += [f"%%sqlflow_submit -d oracle --wait\n{sql}", "%sqlflow_lineage --show"]
    if intermediate_explorer:
        cells.append("from sqlflow_magic.display.explorer import LineageExplorer\n"
                     f"LineageExplorer({json.dumps(WITH_INTERMEDIATE)})")
    if summary_explorer:  # the same lineage past a limit of 3 tables: a summary
        cells += ["%config SQLFlowMagics.max_explorer_tables = 3", "%sqlflow_lineage --show"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), str(path))


def open_explorers(page: Any, jupyter: Any, name: str, where: str, count: int) -> Any:
    """Run notebook ``name``; the locator of its ``count`` explorers once each has drawn its scene."""
    open_and_run_all(page, jupyter, name, where)
    roots = page.locator(ROOT)
    try:
        page.wait_for_function(f"""() => {{
            const roots = [...document.querySelectorAll('{ROOT}')];
            return roots.length === {count} && roots.every(r => r.dataset.ready === '1');
        }}""", timeout=30_000)
    except PlaywrightTimeoutError:
        errors = [text[:300] for text in page.locator(STDERR).all_inner_texts()]
        pytest.fail(f"{name}: {roots.count()} explorer(s) drawn, expected {count} {where}; "
                    f"error outputs: {errors}")
    return roots


#: Whether every box of the explorer lies inside its viewport (after a fit), and the scale it settled on.
ALL_BOXES_VISIBLE = """root => {
    const area = root.querySelector('.sfx-viewport').getBoundingClientRect();
    const outside = [...root.querySelectorAll('g.sfx-table')].filter(g => {
        const box = g.querySelector('.sfx-box').getBoundingClientRect();
        return box.left < area.left - 1 || box.right > area.right + 1 || box.top < area.top - 1
            || box.bottom > area.bottom + 1;
    }).map(g => g.dataset.name);
    return {outside, boxes: root.querySelectorAll('g.sfx-table').length, scale: root.dataset.scale};
}"""
#: A point on an edge, in page coordinates: the middle of its path.
EDGE_MIDDLE = """path => {
    const point = path.getPointAtLength(path.getTotalLength() / 2);
    const screen = point.matrixTransform(path.getScreenCTM());
    return {x: screen.x, y: screen.y};
}"""
#: WCAG contrast of the table names, the column labels and the search box's text, in the current theme.
CONTRAST = """root => {
    const rgb = text => (text.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => {
        const [hi, lo] = [luminance(rgb(a)), luminance(rgb(b))].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const style = selector => getComputedStyle(root.querySelector(selector));
    const box = style('.sfx-box').fill;
    return {names: ratio(style('.sfx-table-name').fill, box), labels: ratio(style('.sfx-column-label').fill, box),
            search: ratio(style('.sfx-search').color, style('.sfx-search').backgroundColor),
            background: getComputedStyle(root).backgroundColor, box, text: style('.sfx-table-name').fill};
}"""
