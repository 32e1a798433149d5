"""The saved tutorials opened without running them, as from a fresh clone: untrusted, and trusted.

A fresh clone's notebooks are untrusted: JupyterLab 4 and Notebook 7 then render a ``text/html``
output through their sanitiser (no inline ``<svg>``, no ``data-*`` attributes, no scripts), and never
an unsafe mime type. Trusted (``jupyter trust``), they render HTML as it is, and would render a widget
view first if an output had one. Either way every job panel must read as a table with its fields, and
every lineage picture must be an image that loaded, with its tables, visible at its full width; no
output may read "Error displaying widget" or run the picture's labels together as text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser_pages import (
    LINEAGE_TABLES,
    NOTEBOOKS,
    assert_no_widget_leftovers,
    check_picture,
    open_notebook,
    screenshot_on_failure,
    scroll_to_top,
    status_of,
)

pytestmark = pytest.mark.browser

TUTORIALS = sorted(path.name for path in NOTEBOOKS.glob("[0-9]*.ipynb"))
#: Job panels and lineage pictures each tutorial shows, from its cells: a panel per submit, a picture per
#: submit that waits for a job that finishes with lineage, and per %sqlflow_lineage --show.
SHOWN = {"01-quickstart.ipynb": (3, 1), "02-real-world-sql.ipynb": (4, 4), "03-lineage.ipynb": (1, 2),
         "04-connecting.ipynb": (1, 0), "05-when-things-go-wrong.ipynb": (1, 0), "06-openlineage.ipynb": (1, 1)}


def saved_statuses(name: str) -> list[str]:
    """The statuses of the job panels a saved tutorial holds (read from the file: jobs end as they ended)."""
    notebook = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    statuses = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            if 'class="sqlflow-job"' in html:
                statuses.append(html.split(">Status</th>", 1)[1].split("</span>", 1)[0].rsplit(">", 1)[1])
    return statuses


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
@pytest.mark.parametrize("tutorial", TUTORIALS)
def test_a_saved_tutorial_reads_well_without_running(notebook_page: Any, jupyter: Any, screenshot_dir: Path,
                                                     tutorial: str, trusted: bool) -> None:
    page = notebook_page
    state = "trusted" if trusted else "untrusted"
    name = jupyter.copy(tutorial, f"{state}-{tutorial}", trusted=trusted)
    panel_count, pictures = SHOWN[tutorial]
    statuses = saved_statuses(tutorial)
    assert len(statuses) == panel_count, f"{tutorial}: the saved file holds {len(statuses)} panels"
    stem = f"{jupyter.ui}-saved-{state}-{Path(tutorial).stem}"
    where = f"({state}; screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_notebook(page, jupyter, name)
        assert_no_widget_leftovers(page, tutorial, where)
        panels = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job table"))
        expect(panels, f"{tutorial}: job panels as tables {where}").to_have_count(len(statuses))
        for i, status in enumerate(statuses):
            panel = panels.nth(i)
            for label in ("Job id", "Name", "Status", "Vendor", "Files", "Server"):
                expect(panel.locator("th", has_text=label), f"{tutorial}: panel {i}'s {label} {where}").to_have_count(1)
            expect(status_of(panel), f"{tutorial}: panel {i}'s status {where}").to_have_text(status)
        images = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.sqlflow-lineage-picture"))
        expect(images, f"{tutorial}: lineage pictures {where}").to_have_count(pictures)
        expect(page.locator(".jp-OutputArea-output svg.sqlflow-lineage-svg"),
               f"{tutorial}: no inline <svg> (a sanitiser strips it to run-together text) {where}").to_have_count(0)
        expect(page.locator(".jp-OutputArea-output").filter(has_text="solid arrow: data flow"),
               f"{tutorial}: a picture's labels shown as text {where}").to_have_count(0)
        for i in range(pictures):
            expected = LINEAGE_TABLES if tutorial.startswith("03") else None
            check_picture(images.nth(i), expected, f"{tutorial}: picture {i} {where}")
        # The trust state took effect: the sanitiser of untrusted outputs drops data-* attributes.
        if pictures:
            kept = page.locator(".jp-OutputArea-output details[data-table]").count()
            assert (kept > 0) == trusted, f"{tutorial}: {kept} data-table attributes kept {where}"
        if panels.count():
            scroll_to_top(panels.first)
        page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
