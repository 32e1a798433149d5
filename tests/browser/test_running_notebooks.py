"""The tutorials run cell by cell in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium.

* The quickstart's first panel is live while its job runs (a widget drawn by anywidget's front end,
  with Refresh); clicking Refresh until the job is done turns it into its static form, which says when
  it checked and shows the lineage picture.
* The lineage tutorial ends with static panels and pictures (``<img>`` of the SVG, each at its own size
  and scrollable to its right edge when wider than the output), with every table of its SQL.
* Run, save, shut the kernel down, reopen: the saved outputs are still the panels and pictures, never
  "Error displaying widget: model not found".

Screenshots go to ``screenshot_dir`` (printed; ``$E2E_SCREENSHOT_DIR`` chooses it), on failure too.
Every request that would leave 127.0.0.1 is aborted: the tests run offline.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import (
    assert_no_error_outputs,
    assert_no_widget_leftovers,
    check_picture,
    open_and_run_all,
    open_notebook,
    screenshot_on_failure,
    scroll_to_top,
    status_of,
)

QUICKSTART = "01-quickstart.ipynb"
LINEAGE = "03-lineage.ipynb"
#: The tables of 03-lineage.ipynb's SQL (its %%sqlflow_submit cell): one box each in the picture.
LINEAGE_TABLES = {"app.orders", "app.customers", "stg.orders", "mart.daily_revenue", "report.revenue_by_country",
                  "audit.order_log"}
REFRESH_DEADLINE = 30.0  # seconds of clicking Refresh until the quickstart's job shows success


def test_quickstart_panel_is_live_then_static_with_its_picture(notebook_page: Any, jupyter: Any,
                                                               screenshot_dir: Path) -> None:
    page = notebook_page
    stem = f"{jupyter.ui}-01-quickstart"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, QUICKSTART, where)
        live = page.locator(".jp-OutputArea-output .sqlflow-panel")
        expect(live, f"live panels of the two submits {where}").to_have_count(2, timeout=30_000)
        assert_no_widget_leftovers(page, QUICKSTART, where)
        first = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job")).first
        expect(status_of(first), f"first panel's status right after the submit {where}").to_have_text("create")

        deadline = time.monotonic() + REFRESH_DEADLINE  # the embedded server finishes the job within seconds
        clicks = 0
        while first.locator("button.sqlflow-refresh").count():
            first.locator("button.sqlflow-refresh").click()
            clicks += 1
            page.wait_for_timeout(500)
            assert time.monotonic() < deadline, f"Refresh: still {status_of(first).inner_text()!r} {where}"
        # The job is done: the static form took the widget's place, with when it was checked and the picture.
        expect(status_of(first), f"the refreshed panel's status {where}").to_have_text("success")
        expect(first.locator(".sqlflow-panel"), f"no widget left in the finished panel {where}").to_have_count(0)
        expect(first.locator(".sqlflow-note"), f"the panel says when it checked {where}").to_contain_text("Checked at")
        check_picture(first, None, f"{QUICKSTART}: picture in the refreshed panel {where}")
        assert_no_error_outputs(page, QUICKSTART, where)
        scroll_to_top(first)
        page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
        first.screenshot(path=str(screenshot_dir / f"{stem}-panel.png"))
    print(f"\n[{jupyter.ui}] quickstart: success after {clicks} Refresh click(s); screenshots:", screenshot_dir)


def check_lineage_tutorial(page: Any, name: str, where: str) -> None:
    """The lineage tutorial's outputs: its --wait panel (success) with a picture, and --show's picture."""
    assert_no_widget_leftovers(page, name, where)
    panels = page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job"))
    expect(panels, f"{name}: job panels {where}").to_have_count(1)
    expect(status_of(panels.first), f"{name}: the --wait panel's final status {where}").to_have_text("success")
    pictures = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.sqlflow-lineage-picture"))
    expect(pictures, f"{name}: pictures (the --wait panel's and --show's) {where}").to_have_count(2)
    for i, what in enumerate(["--wait panel", "%sqlflow_lineage --show"]):
        check_picture(pictures.nth(i), LINEAGE_TABLES, f"{name}: {what} {where}")
    details = pictures.nth(1).locator("details.sqlflow-table-details")
    expect(details, f"{name}: a column section per table {where}").to_have_count(len(LINEAGE_TABLES))
    revenue = details.filter(has=page.locator("summary", has_text="mart.daily_revenue:"))
    revenue.locator("summary").click()  # opens without a kernel
    expect(revenue.locator("table.sqlflow-column-edges"), f"{name}: its column edges {where}").to_be_visible()


def test_lineage_tutorial_then_saved_and_reopened_without_its_kernel(notebook_page: Any, jupyter: Any,
                                                                     screenshot_dir: Path) -> None:
    page = notebook_page
    name = jupyter.copy(LINEAGE, "rerun-03-lineage.ipynb")  # saved over in this test: a copy of its own
    stem = f"{jupyter.ui}-03-lineage"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, name, where)
        check_lineage_tutorial(page, name, where)
        assert_no_error_outputs(page, name, where)
        page.screenshot(path=str(screenshot_dir / f"{stem}-run.png"))
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
        check_lineage_tutorial(page, name, f"after saving and reopening {where}")
        scroll_to_top(page.locator(".jp-OutputArea-output").filter(has=page.locator(".sqlflow-job")).first)
        page.screenshot(path=str(screenshot_dir / f"{stem}-reopened.png"))
    print(f"\n[{jupyter.ui}] lineage: run, saved, reopened without its kernel; screenshots:", screenshot_dir)
