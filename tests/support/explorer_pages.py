"""What the browser tests and the explorer benchmark do to a lineage explorer on a notebook page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from tests.support.browser_pages import open_and_run_all

ROOT = ".sqlflow-explorer"
REPOSITORY = Path(__file__).resolve().parents[2]

#: Whether every box of the explorer lies inside its viewport (after a fit), and the scale it settled on.
ALL_BOXES_VISIBLE = """root => {
    const area = root.querySelector('.sfx-viewport').getBoundingClientRect();
    const outside = [...root.querySelectorAll('g.sfx-table')].filter(g => {
        const box = g.querySelector('.sfx-box').getBoundingClientRect();
        return box.left < area.left - 1 || box.right > area.right + 1 || box.top < area.top - 1
            || box.bottom > area.bottom + 1;
    }).map(g => g.dataset.id);
    return {outside, boxes: root.querySelectorAll('g.sfx-table').length, scale: root.dataset.scale};
}"""
#: A point on an edge, in page coordinates: the middle of its path.
EDGE_MIDDLE = """path => {
    const point = path.getPointAtLength(path.getTotalLength() / 2);
    const screen = point.matrixTransform(path.getScreenCTM());
    return {x: screen.x, y: screen.y};
}"""
#: WCAG contrast of the table names and of the column labels against the box fill, in the current theme.
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
    const background = getComputedStyle(root).backgroundColor;
    return {names: ratio(style('.sfx-table-name').fill, box), labels: ratio(style('.sfx-column-label').fill, box),
            search: ratio(style('.sfx-search').color, style('.sfx-search').backgroundColor),
            background, box, text: style('.sfx-table-name').fill};
}"""


def harness_notebook(path: Path, lineage: str = "demo_lineage()") -> None:
    """A notebook of one cell that shows ``HarnessExplorer(<lineage>)`` (tests/support/explorer_harness.py)."""
    source = (f"import sys\nsys.path.insert(0, {str(REPOSITORY)!r})\n"
              "from tests.support.explorer_harness import HarnessExplorer, big_lineage, demo_lineage\n"
              f"explorer = HarnessExplorer({lineage})\nexplorer")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), str(path))


def open_explorer(page: Any, jupyter: Any, name: str, where: str) -> Any:
    """Run notebook ``name`` and return the locator of its explorer once a scene is drawn."""
    open_and_run_all(page, jupyter, name, where)
    root = page.locator(ROOT)
    root.locator("g.sfx-table").first.wait_for()
    page.wait_for_function("() => document.querySelector('.sqlflow-explorer')?.dataset.ready === '1'")
    return root
