"""The tutorials, run cell by cell in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium.

Each test opens a tutorial from a temp copy of ``notebooks/`` on the ``jupyter`` server (see conftest:
one server per UI), runs all cells through the Run menu, waits until every code cell has an execution
count, and checks what a user sees:

* the job panel is a *live* widget (``.sqlflow-panel``, drawn by anywidget's front end, in an output
  area), never the "Loading widget..." placeholder, a widget repr, or the static HTML table alone;
* in the quickstart, the first panel shows ``create`` after the submit, and clicking its Refresh button
  (again, until about 30 s have passed) makes it show ``success``, and then the lineage picture;
* in the lineage tutorial, the picture is drawn: an ``<svg>`` in ``.sqlflow-lineage`` with one box
  (``g.sqlflow-table``) per table of the tutorial's SQL and arrows (``path.sqlflow-edge``), and picking a
  table in the "Columns of" dropdown shows that table's columns and column-level edges;
* no cell ended in an error (see :func:`assert_no_error_outputs` for the exact rule).

Screenshots of each notebook in each UI go to ``screenshot_dir`` (printed; ``$E2E_SCREENSHOT_DIR``
chooses it), on failure too. Every request that would leave 127.0.0.1 is aborted: the tests run offline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

QUICKSTART = "01-quickstart.ipynb"
LINEAGE = "03-lineage.ipynb"
#: The tables of 03-lineage.ipynb's SQL (its %%sqlflow_submit cell): one box each in the picture.
LINEAGE_TABLES = {"app.orders", "app.customers", "stg.orders", "mart.daily_revenue", "report.revenue_by_country",
                  "audit.order_log"}
REFRESH_DEADLINE = 30.0  # seconds of clicking Refresh until the quickstart's job shows success
KERNEL_READY = """() => {
    // The indicator reads 'idle' for a moment before the kernel exists (toolbar: 'No Kernel'); Run All
    // then opens a "Select Kernel" dialog. So: idle AND a real kernel name.
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const name = document.querySelector('.jp-KernelName');
    return !!indicator && indicator.dataset.status === 'idle' && !!name
        && !['', 'No Kernel'].includes(name.textContent.trim());
}"""
PROMPTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(
    cell => (cell.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim())"""
#: Where a picture wider than its output area gets cut off: the first ancestor narrower than the <svg>.
FIT = """e => {
    const width = e.getBoundingClientRect().width;
    for (let n = e.parentElement; n && !n.classList.contains('jp-OutputArea'); n = n.parentElement) {
        if (n.clientWidth < width - 1) {
            // Can the user scroll to the rightmost box? Scroll to the end, look, scroll back.
            const rects = [...e.querySelectorAll('g.sqlflow-table rect')];
            const start = n.scrollLeft;
            n.scrollLeft = n.scrollWidth;
            const reachable = Math.max(...rects.map(r => r.getBoundingClientRect().right))
                <= n.getBoundingClientRect().right + 1;
            n.scrollLeft = start;
            return {fits: false, svg: Math.round(width), area: n.clientWidth, tag: n.tagName,
                    cls: String(n.className), overflow: getComputedStyle(n).overflowX,
                    inPictureWidget: !!n.closest('.widget-html'), reachable};
        }
    }
    return {fits: true, svg: Math.round(width)};
}"""
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
#: A line an error output (or a UsageError on stderr) starts with: "ValueError: ...", "UsageError: ...".
ERROR_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b.*:", re.MULTILINE)


# -- helpers -------------------------------------------------------------------------------------------
@pytest.fixture
def notebook_page(jupyter_launches: Any, chromium: Any, jupyter: Any) -> Iterator[Any]:
    """A fresh browser context and page, offline but for the Jupyter server; sessions ended afterwards.

    (``jupyter_launches`` first: the servers boot while Chromium starts.)
    """
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        jupyter.delete_sessions()  # the next notebook gets a fresh kernel; this one's kernel is shut down
        if blocked:
            print(f"\n[{jupyter.ui}] blocked {len(blocked)} non-loopback request(s): {blocked[:5]}")


@contextmanager
def screenshot_on_failure(page: Any, path: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        try:
            page.screenshot(path=str(path))
            print("failure screenshot:", path)
        except Exception as exc:  # the page may be gone
            print("no failure screenshot:", exc)
        raise


def open_and_run_all(page: Any, jupyter: Any, name: str, where: str) -> None:
    """Open ``name``, wait for its kernel, Run > Run All Cells, and wait until every code cell has run."""
    start = time.perf_counter()
    jupyter.start_session(name)  # a fresh kernel (sessions are deleted after each test), booting during goto
    page.goto(jupyter.notebook_url(name))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    ready = time.perf_counter()
    kernels = [s["kernel"]["id"] for s in jupyter.api("GET", "sessions") if s["path"] == name]
    assert len(kernels) == 1, f"{name}: {len(kernels)} sessions, expected the one started for the test: {kernels}"
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Run All marks every code cell [*] at once; then wait until no cell is running or queued.
    page.wait_for_function(f"() => ({PROMPTS})().some(p => p !== '[ ]:' && p !== '')", timeout=30_000)
    page.wait_for_function(f"() => !({PROMPTS})().includes('[*]:')", timeout=120_000)
    print(f"\n[{jupyter.ui}] {name}: open + kernel {ready - start:.1f} s, run all {time.perf_counter() - ready:.1f} s")
    prompts = page.evaluate(PROMPTS)
    not_run = [i for i, prompt in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", prompt)]
    if not_run:
        stderr = page.locator(STDERR).all_inner_texts()
        pytest.fail(f"{name} in {jupyter.ui}: code cells {not_run} (0-based, of {len(prompts)}) did not run "
                    f"(prompts {prompts}): an earlier cell failed and stopped Run All. {where}\n"
                    f"stderr/error outputs: {[t[:500] for t in stderr]}")


def assert_no_error_outputs(page: Any, name: str, where: str) -> None:
    """No cell ended in an error.

    Jupyter renders both an ``error`` output and a stderr stream as ``application/vnd.jupyter.stderr``,
    so the rule is on the text of those outputs: a Python traceback (``Traceback``, or IPython's
    ``----> 1`` arrows), or a line that starts like an exception (``ValueError: ...``; the magics'
    short errors such as ``AuthenticationError: ...`` and IPython's ``UsageError: ...`` have no
    traceback). Warnings on stderr (``...Warning: ...``) are allowed but printed. A failed cell also
    stops Run All, which :func:`open_and_run_all` reports as cells that did not run.
    """
    texts = page.locator(STDERR).all_inner_texts()
    errors = [t for t in texts if "Traceback" in t or "---->" in t or ERROR_LINE.search(t)]
    for text in texts:
        if text not in errors:
            print(f"\n[{name}] stderr output (allowed): {text[:300]}")
    assert not errors, f"{name}: cells ended in an error:\n" + "\n---\n".join(t[:1500] for t in errors) + f"\n{where}"


def assert_live_widgets_only(page: Any, name: str, panels: int, where: str) -> Any:
    """``panels`` job panels, each a live widget; no placeholder, repr text, or static-HTML-only panel."""
    outputs = page.locator(".jp-OutputArea-output")
    live = page.locator(".jp-OutputArea-output .sqlflow-panel")
    expect(live, f"{name}: live job panels (.sqlflow-panel) {where}").to_have_count(panels, timeout=30_000)
    expect(outputs.filter(has_text="Loading widget"), f"{name}: a widget never loaded {where}").to_have_count(0)
    expect(outputs.filter(has_text="VBox(children="), f"{name}: widget shown as its repr {where}").to_have_count(0)
    expect(outputs.filter(has_text="SQLFlow job panel"), f"{name}: widget shown as its repr {where}").to_have_count(0)
    static = page.locator(".jp-OutputArea-output .sqlflow-job").count()
    in_widget = page.locator(".jp-OutputArea-output .sqlflow-panel .sqlflow-job").count()
    assert static == in_widget == panels, (f"{name}: {static} job tables, {in_widget} of them in a live panel: "
                                           f"the static HTML fallback was shown instead of the widget {where}")
    for i in range(panels):
        expect(live.nth(i).locator("button.sqlflow-refresh"), f"{name}: panel {i} Refresh {where}").to_be_visible()
    # The output areas of the panels: once a job is done, its picture is shown under the panel in the same output.
    return outputs.filter(has=page.locator(".sqlflow-panel"))


def scroll_to_top(locator: Any) -> None:
    """Scroll the notebook so that ``locator`` starts at the top of the view (for the screenshots)."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    locator.page.wait_for_timeout(300)  # let content-visibility paint the newly visible cells


def status_of(panel: Any) -> Any:
    """The status badge of a job panel (the Status row of its job table)."""
    return panel.locator(".sqlflow-job tr").filter(has=panel.page.locator("th", has_text="Status")).locator("td")


def check_picture(lineage: Any, expected_tables: set[str] | None, what: str) -> None:
    """An inline, visible ``<svg>`` with boxes (``expected_tables`` exactly, if given) and arrows."""
    svg = lineage.locator("svg.sqlflow-lineage-svg")
    expect(svg, f"{what}: one inline <svg>").to_have_count(1)
    expect(svg, f"{what}: the picture is visible").to_be_visible()
    boxes = svg.locator("g.sqlflow-table")
    assert boxes.count() >= 1, f"{what}: no table box (g.sqlflow-table) in the picture"
    assert svg.locator("path.sqlflow-edge").count() >= 1, f"{what}: no arrow (path.sqlflow-edge) in the picture"
    names = {boxes.nth(i).get_attribute("data-table") for i in range(boxes.count())}
    if expected_tables is not None:
        assert names == expected_tables, f"{what}: boxes {sorted(names)}, expected {sorted(expected_tables)}"
    box = svg.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 20, f"{what}: the picture has no size: {box}"
    first = boxes.first.locator("rect").bounding_box()
    assert first and first["width"] > 10 and first["height"] > 10, f"{what}: a box is not drawn: {first}"
    # A picture wider than its output area (the lineage tutorial's 6 tables in JupyterLab with the file
    # browser open) must scroll by itself: the first ancestor narrower than the <svg> has to be a
    # scrolling one inside the picture's own HTML widget; else the picture is cut off, or (ipywidgets
    # boxes scroll) the scrollbar is that of the whole lineage widget, below the columns table.
    fit = svg.evaluate(FIT)
    if not fit["fits"]:
        assert fit["overflow"] in ("auto", "scroll") and fit["inPictureWidget"] and fit["reachable"], (
            f"{what}: the {fit['svg']} px wide picture is cut at {fit['area']} px by "
            f"<{fit['tag']} class={fit['cls']!r}> (overflow-x {fit['overflow']}, rightmost box reachable by "
            f"scrolling: {fit['reachable']}); it should scroll on its own")
        print(f"\nnote: {what.split(' (')[0]}: picture {fit['svg']} px wide in a {fit['area']} px area, "
              f"scrolls horizontally")


# -- tests -----------------------------------------------------------------------------------------------
def test_quickstart_panel_is_live_and_refresh_shows_success(notebook_page: Any, jupyter: Any,
                                                            screenshot_dir: Path) -> None:
    page = notebook_page
    stem = f"{jupyter.ui}-01-quickstart"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, QUICKSTART, where)
        panels = assert_live_widgets_only(page, QUICKSTART, 2, where)  # the submit and the incremental submit
        first = panels.first
        expect(status_of(first), f"first panel's status right after the submit {where}").to_have_text("create")

        # The embedded server's worker finishes the job within seconds; each Refresh asks the kernel again.
        deadline = time.monotonic() + REFRESH_DEADLINE
        clicks = 0
        while True:
            first.locator("button.sqlflow-refresh").click()
            clicks += 1
            try:
                expect(status_of(first)).to_have_text("success", timeout=1_000)
                break
            except AssertionError:
                shown = status_of(first).inner_text()
                note = first.locator(".sqlflow-note").all_inner_texts()
                assert "fail" not in shown and not any("failed" in n for n in note), (
                    f"Refresh: status {shown!r}, note {note} {where}")
                assert time.monotonic() < deadline, (
                    f"Refresh: still {shown!r} after {clicks} clicks in {REFRESH_DEADLINE:.0f} s {where}")
        # Once the job is done, the panel adds its lineage picture.
        check_picture(first.locator(".sqlflow-lineage").first, None,
                      f"{QUICKSTART}: picture in the refreshed panel {where}")
        assert_no_error_outputs(page, QUICKSTART, where)

        scroll_to_top(first)
        page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
        first.screenshot(path=str(screenshot_dir / f"{stem}-panel.png"))
    print(f"\n[{jupyter.ui}] quickstart: success after {clicks} Refresh click(s); screenshots:", screenshot_dir)


def test_lineage_picture_is_drawn_and_columns_are_picked(notebook_page: Any, jupyter: Any,
                                                         screenshot_dir: Path) -> None:
    page = notebook_page
    stem = f"{jupyter.ui}-03-lineage"
    where = f"(screenshots: {screenshot_dir}; server log: {jupyter.log})"
    with screenshot_on_failure(page, screenshot_dir / f"{stem}-FAILED.png"):
        open_and_run_all(page, jupyter, LINEAGE, where)
        panel = assert_live_widgets_only(page, LINEAGE, 1, where).first  # the --wait submit
        expect(status_of(panel), f"--wait panel's final status {where}").to_have_text("success")

        # Two pictures: the --wait panel's own, and %sqlflow_lineage --show's; both live widgets.
        pictures = page.locator(".jp-OutputArea-output .widget-vbox.sqlflow-lineage")
        expect(pictures, f"lineage widgets {where}").to_have_count(2, timeout=30_000)
        expect(panel.locator(".widget-vbox.sqlflow-lineage"),
               f"picture inside the --wait panel {where}").to_have_count(1)
        for i, what in enumerate(["--wait panel", "%sqlflow_lineage --show"]):
            check_picture(pictures.nth(i), LINEAGE_TABLES, f"{LINEAGE}: {what} {where}")

        shown = pictures.nth(1)
        columns = shown.locator(".widget-html").last
        expect(columns, f"columns view before a pick {where}").to_contain_text("Pick a table")
        panel.screenshot(path=str(screenshot_dir / f"{stem}-panel.png"))
        shown.screenshot(path=str(screenshot_dir / f"{stem}-picture.png"))
        shown.locator(".widget-dropdown select").select_option(label="mart.daily_revenue")
        picked = columns.locator(".sqlflow-columns")
        expect(picked, f"columns view after picking mart.daily_revenue {where}").to_have_attribute(
            "data-table", "mart.daily_revenue")
        expect(picked, f"columns of mart.daily_revenue {where}").to_contain_text("Columns (4)")
        for column in ("order_date", "country", "revenue", "orders"):
            expect(picked, f"column {column} {where}").to_contain_text(column)
        assert picked.locator("table.sqlflow-column-edges tbody tr").count() >= 4, (
            f"no column-level edges listed for mart.daily_revenue {where}")
        assert_no_error_outputs(page, LINEAGE, where)

        scroll_to_top(shown)  # the picture, the dropdown and the start of the picked table's columns
        page.screenshot(path=str(screenshot_dir / f"{stem}.png"))
    print(f"\n[{jupyter.ui}] lineage: pictures drawn, columns picked; screenshots:", screenshot_dir)
