"""What the browser tests do to a notebook page and what they check on it (shared by the browser modules)."""

from __future__ import annotations

import base64
import re
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: The tables of 03-lineage.ipynb's SQL (its %%sqlflow_submit cell): one box each in the picture.
LINEAGE_TABLES = {"app.orders", "app.customers", "stg.orders", "mart.daily_revenue", "report.revenue_by_country",
                  "audit.order_log"}

SVG = "{http://www.w3.org/2000/svg}"
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
#: How a picture sits in its output: its own size, and whether a scroll brings its right edge into view.
PICTURE_FIT = """img => {
    const box = img.closest('.sqlflow-picture') || img.parentElement;
    const width = img.getBoundingClientRect().width;
    const start = box.scrollLeft;
    box.scrollLeft = box.scrollWidth;
    const reachable = img.getBoundingClientRect().right <= box.getBoundingClientRect().right + 1;
    box.scrollLeft = start;
    return {loaded: img.complete && img.naturalWidth > 0, natural: img.naturalWidth, width: Math.round(width),
            area: box.clientWidth, overflow: getComputedStyle(box).overflowX, reachable,
            src: img.getAttribute('src') || ''};
}"""
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
#: A line an error output (or a UsageError on stderr) starts with: "ValueError: ...", "UsageError: ...".
ERROR_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b.*:", re.MULTILINE)


def offline_context(chromium: Any, allowed: tuple[str, ...]) -> tuple[Any, list[str]]:
    """A browser context that aborts every request whose URL does not start with one of ``allowed``;
    the aborted URLs are collected in the list returned with it."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_allowed(route: Any) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_allowed)
    return context, blocked


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


def open_notebook(page: Any, jupyter: Any, name: str) -> None:
    """Open ``name`` on a fresh kernel (started beside the page's load) and wait until it is ready."""
    jupyter.start_session(name)
    page.goto(jupyter.notebook_url(name))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.wait_for_function(KERNEL_READY, timeout=60_000)


def open_and_run_all(page: Any, jupyter: Any, name: str, where: str) -> None:
    """Open ``name``, wait for its kernel, Run > Run All Cells, and wait until every code cell has run."""
    start = time.perf_counter()
    open_notebook(page, jupyter, name)
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
    """No cell ended in an error: no traceback, and no stderr line that starts like an exception
    (``AuthenticationError: ...``, ``UsageError: ...``). Warnings on stderr are allowed but printed."""
    texts = page.locator(STDERR).all_inner_texts()
    errors = [t for t in texts if "Traceback" in t or "---->" in t or ERROR_LINE.search(t)]
    for text in texts:
        if text not in errors:
            print(f"\n[{name}] stderr output (allowed): {text[:300]}")
    assert not errors, f"{name}: cells ended in an error:\n" + "\n---\n".join(t[:1500] for t in errors) + f"\n{where}"


def assert_no_widget_leftovers(page: Any, name: str, where: str) -> None:
    """No output shows a widget that could not be drawn, a widget's repr, or a placeholder."""
    outputs = page.locator(".jp-OutputArea-output")
    for text in ("Error displaying widget", "Loading widget", "VBox(children=", "SQLFlow job panel"):
        expect(outputs.filter(has_text=text), f"{name}: an output reads {text!r} {where}").to_have_count(0)


def status_of(panel: Any) -> Any:
    """The status badge of a job panel (the Status row of its job table)."""
    return panel.locator(".sqlflow-job tr").filter(has=panel.page.locator("th", has_text="Status")).locator("td")


def scroll_to_top(locator: Any) -> None:
    """Scroll the notebook so that ``locator`` starts at the top of the view (for the screenshots)."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    locator.page.wait_for_timeout(300)  # let content-visibility paint the newly visible cells


def check_picture(container: Any, expected_tables: set[str] | None, what: str) -> set[str]:
    """One lineage picture: an ``<img>`` of its SVG that loaded, at its own size, whose right edge a scroll
    brings into view when it is wider than its output; its boxes are ``expected_tables`` (if given)."""
    img = container.locator("img.sqlflow-lineage-picture")
    expect(img, f"{what}: one picture <img>").to_have_count(1)
    img.scroll_into_view_if_needed()
    expect(img, f"{what}: the picture is visible").to_be_visible()
    fit = img.evaluate(PICTURE_FIT)
    assert fit["loaded"], f"{what}: the picture did not load"
    assert abs(fit["width"] - fit["natural"]) <= 1, f"{what}: shown {fit['width']} px wide, drawn {fit['natural']} px"
    assert fit["reachable"], (f"{what}: the {fit['width']} px picture is cut off in a {fit['area']} px area "
                              f"(overflow-x {fit['overflow']}): its right edge cannot be scrolled into view")
    if fit["width"] > fit["area"]:
        print(f"\nnote: {what}: picture {fit['width']} px wide in a {fit['area']} px area, scrolls horizontally")
    svg = base64.b64decode(fit["src"].split(",", 1)[1]).decode()
    root = ElementTree.fromstring(svg)
    names = {g.get("data-table") for g in root.iter(f"{SVG}g") if "sqlflow-table" in (g.get("class") or "").split()}
    assert names, f"{what}: no table box in the picture"
    assert [p for p in root.iter(f"{SVG}path") if p.get("class") == "sqlflow-edge"], f"{what}: no arrow"
    if expected_tables is not None:
        assert names == expected_tables, f"{what}: boxes {sorted(names)}, expected {sorted(expected_tables)}"
    return names
