"""Notebooks run cell by cell in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium.

* A job still running when its cell ends has a live panel (a widget drawn by anywidget's front end,
  with Refresh); clicking Refresh until the job is done turns it into its static form, which says when
  it checked and shows the lineage picture.
* The quickstart, run whole: its last cell waits for the job, and the earlier live panels of the same
  job turn static too; saved, its kernel shut down and reopened, every panel is still there.
* The lineage tutorial ends with static panels and pictures (``<img>`` of the SVG, each at its own size
  and scrollable to its right edge when wider than the output), with every table of its SQL; saved and
  reopened without its kernel, they are still the panels and pictures.

Never "Error displaying widget: model not found". Screenshots go to ``screenshot_dir`` (printed;
``$E2E_SCREENSHOT_DIR`` chooses it), on failure too. Every request that would leave 127.0.0.1 is
aborted: the tests run offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.support.browser_pages import (
    LINEAGE_TABLES,
    assert_no_error_outputs,
    assert_no_widget_leftovers,
    check_picture,
    open_and_run_all,
    open_notebook,
    screenshot_on_failure,
    scroll_to_top,
    status_of,
)

pytestmark = pytest.mark.browser

QUICKSTART = "01-quickstart.ipynb"
LINEAGE = "03-lineage.ipynb"
#: The tables of the quickstart's two submits: one box each in its last panel's picture.
QUICKSTART_TABLES = {"sales.orders", "sales.customers", "sales.daily_sales", "reporting.region_totals"}
#: A job the embedded server takes a moment over: the panel is still live when its cell ends.
RUNNING_SQL = "CREATE TABLE a.t (x INT);\nINSERT INTO a.t (x) SELECT x FROM b.s;"
REFRESH_DEADLINE = 30.0  # seconds of clicking Refresh until the quickstart's job shows success


def test_a_running_jobs_panel_is_live_until_refresh_turns_it_static(notebook_page: Any, jupyter: Any,
                                                                   screenshot_dir: Path) -> None:
    page = notebook_page
    name = "running-job.ipynb"
    cells = ["%load_ext sqlflow_magic", f"%%sqlflow_submit -d mssql -n running\n{RUNNING_SQL}"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), jupyter.root / name)
    stem = f"{jupyter.ui}-running-job"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, name, where)
        panel = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job")).first
        expect(panel.locator(".sqlflow-panel"), f"the live panel of the submit {where}").to_have_count(1)
        expect(status_of(panel), f"its status right after the submit {where}").to_have_text("create")
        assert_no_widget_leftovers(page, name, where)

        deadline = time.monotonic() + REFRESH_DEADLINE  # the embedded server finishes the job within seconds
        clicks = 0
        refresh = panel.locator("button.sqlflow-refresh")
        while refresh.count():
            assert time.monotonic() < deadline, f"Refresh: still {status_of(panel).inner_text()!r} {where}"
            try:
                refresh.click(timeout=2_000)
            except PlaywrightTimeoutError:  # the panel turned static between the count and the click
                continue
            clicks += 1
            page.wait_for_timeout(500)
        # The job is done: the static form took the widget's place, with when it was checked and the picture.
        expect(status_of(panel), f"the refreshed panel's status {where}").to_have_text("success")
        expect(panel.locator(".sqlflow-panel"), f"no widget left in the finished panel {where}").to_have_count(0)
        expect(panel.locator(".sqlflow-note"), f"the panel says when it checked {where}").to_contain_text("Checked at")
        check_picture(panel, {"a.t", "b.s"}, f"{name}: picture in the refreshed panel {where}")
        assert_no_error_outputs(page, name, where)
        scroll_to_top(panel)
        panel.screenshot(path=str(screenshot_dir / f"{stem}-panel.png"))
    print(f"\n[{jupyter.ui}] running job: success after {clicks} Refresh click(s); screenshots:", screenshot_dir)


def check_quickstart(page: Any, name: str, where: str) -> None:
    """The quickstart run whole: three static panels of one finished job, the last with the picture."""
    assert_no_widget_leftovers(page, name, where)
    panels = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job"))
    expect(panels, f"{name}: job panels {where}").to_have_count(3)
    expect(page.locator(".jp-OutputArea-output .sqlflow-panel"), f"{name}: live widgets {where}").to_have_count(0)
    for i in range(3):
        expect(status_of(panels.nth(i)), f"{name}: panel {i + 1}'s status {where}").to_have_text("success")
    for i in range(2):  # the submits' panels: brought up to date by the last cell's --wait
        expect(panels.nth(i).locator(".sqlflow-note"), f"{name}: panel {i + 1} {where}").to_contain_text(
            "by a later cell: success")
    check_picture(panels.nth(2), QUICKSTART_TABLES, f"{name}: the --wait panel's picture {where}")


def test_quickstart_run_whole_then_saved_and_reopened_without_its_kernel(notebook_page: Any, jupyter: Any,
                                                                         screenshot_dir: Path) -> None:
    run_save_reopen(notebook_page, jupyter, screenshot_dir, QUICKSTART, check_quickstart)


def run_save_reopen(page: Any, jupyter: Any, screenshot_dir: Path, tutorial: str,
                    check: Callable[[Any, str, str], None]) -> None:
    """Run a copy of ``tutorial`` whole and ``check`` it; save, end the kernel, reopen and ``check`` again."""
    name = jupyter.copy(tutorial, f"rerun-{tutorial}")  # saved over in this test: a copy of its own
    stem = f"{jupyter.ui}-{Path(tutorial).stem}"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, name, where)
        check(page, name, where)
        assert_no_error_outputs(page, name, where)
        page.screenshot(path=str(screenshot_dir / f"{stem}-run.png"))
        save_and_reopen(page, jupyter, name, where)
        check(page, name, f"after saving and reopening {where}")
        scroll_to_top(page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job")).first)
        page.screenshot(path=str(screenshot_dir / f"{stem}-reopened.png"))
    print(f"\n[{jupyter.ui}] {tutorial}: run, saved, reopened without its kernel; screenshots:", screenshot_dir)


def save_and_reopen(page: Any, jupyter: Any, name: str, where: str) -> None:
    """Save the notebook (Ctrl+S, then wait for the file to change), end its kernel, open it again."""
    saved_before = jupyter.api("GET", f"contents/{name}?content=0")["last_modified"]
    page.locator(".jp-Notebook").click()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while jupyter.api("GET", f"contents/{name}?content=0")["last_modified"] == saved_before:
        assert time.monotonic() < deadline, f"{name}: not saved {where}"
        page.wait_for_timeout(200)
    jupyter.delete_sessions()  # the kernel, and with it every widget model, is gone
    page.goto("about:blank")
    open_notebook(page, jupyter, name)  # reopened: a new kernel that never ran a cell


def check_lineage_tutorial(page: Any, name: str, where: str) -> None:
    """The lineage tutorial's outputs: its --wait panel (success) with a picture, and --show's explorer.

    While the kernel runs, --show's explorer is drawn and the static picture before it (its saved form) is
    hidden; reopened without the kernel, the picture shows, and the explorer's own output is ipywidgets'
    one line for a widget whose state was not saved (JupyterLab's and Notebook 7's default).
    """
    reopened = "after saving and reopening" in where
    if reopened:
        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="Error displaying widget"), f"{name}: only the explorer's output reads "
               f"ipywidgets' line {where}").to_have_count(1)
        expect(outputs.filter(has_text="Error displaying widget").locator(".sqlflow-lineage-picture"),
               f"{name}: the line is not the picture's output {where}").to_have_count(0)
    else:
        assert_no_widget_leftovers(page, name, where)
        drawn = page.locator(".sqlflow-explorer[data-ready='1']")
        expect(drawn, f"{name}: the explorer drawn {where}").to_have_count(1)
        expect(page.locator(".sqlflow-explorer-saved-form"), f"{name}: its saved form hidden {where}").to_be_hidden()
    panels = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job"))
    expect(panels, f"{name}: job panels {where}").to_have_count(1)
    expect(status_of(panels.first), f"{name}: the --wait panel's final status {where}").to_have_text("success")
    pictures = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.sqlflow-lineage-picture"))
    expect(pictures, f"{name}: pictures (the --wait panel's and --show's saved form) {where}").to_have_count(2)
    check_picture(pictures.nth(0), LINEAGE_TABLES, f"{name}: --wait panel {where}")
    if not reopened:
        return
    check_picture(pictures.nth(1), LINEAGE_TABLES, f"{name}: %sqlflow_lineage --show's saved form {where}")
    details = pictures.nth(1).locator("details.sqlflow-table-details")
    expect(details, f"{name}: a column section per table {where}").to_have_count(len(LINEAGE_TABLES))
    revenue = details.filter(has=page.locator("summary", has_text="mart.daily_revenue:"))
    revenue.locator("summary").click()  # opens without a kernel
    expect(revenue.locator("table.sqlflow-column-edges"), f"{name}: its column edges {where}").to_be_visible()


def test_lineage_tutorial_then_saved_and_reopened_without_its_kernel(notebook_page: Any, jupyter: Any,
                                                                     screenshot_dir: Path) -> None:
    run_save_reopen(notebook_page, jupyter, screenshot_dir, LINEAGE, check_lineage_tutorial)
