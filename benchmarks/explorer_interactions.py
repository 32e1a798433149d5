"""How long the lineage explorer's interactions take in a real browser, on a 300-table lineage.

JupyterLab 4 in Debian's headless Chromium (as the browser tests drive it) shows the explorer on a
generated lineage of 300 tables in 10 layers (each reads two or three earlier tables; every column
from one column, fdd, and one more, fdr): 1,550 table arrows collapsed, 5,870 edges with every table
expanded. Each interaction is timed in the browser: ``performance.now()`` around its handler, including
the style and layout work it forces (the explorer's ``data-last-ms``). Expand, collapse and the
intermediate toggle go to the kernel and back: for those the end-to-end time (message sent to new
scene drawn, ``data-round-trip-ms``) is printed too. The aim is 100 ms an interaction. Buttons are
clicked as a user clicks them; boxes and columns get a dispatched click event (they may be out of view).

The kernel side is ``tests/support/explorer_harness.py`` (a plain grid layout), so the round trips
measure the front end and the widget's messages, not igraph's layout.

    python benchmarks/explorer_interactions.py [--runs 5] [--tables 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, machine_info, median, table

sys.path.insert(0, str(ROOT))  # the tests' helpers: the Jupyter server and the explorer's harness

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _start_server, _stop  # noqa: E402
from tests.support.browser_pages import offline_context  # noqa: E402
from tests.support.explorer_pages import harness_notebook, open_explorer  # noqa: E402

AIM_MS = 100.0
NAME = "explorer-benchmark.ipynb"


def last_ms(root: Any) -> float:
    return float(root.get_attribute("data-last-ms"))


def dispatch_click(locator: Any) -> None:
    """A click on an element of the drawing, which may lie outside the explorer's view (no scrolling)."""
    locator.evaluate("e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))")


def round_trip(root: Any, act: Callable[[], None]) -> tuple[float, float]:
    """Run ``act`` (which asks the kernel for a scene); the end-to-end and the redraw time, in ms."""
    root.evaluate("r => { delete r.dataset.roundTripMs; }")
    act()
    root.page.wait_for_function("() => document.querySelector('.sqlflow-explorer').dataset.roundTripMs",
                                timeout=120_000)
    return float(root.get_attribute("data-round-trip-ms")), last_ms(root)


def client_side(root: Any, label: str) -> dict[str, Callable[[], float]]:
    """The interactions that stay in the browser, each returning its ``data-last-ms``."""
    middle = root.locator("g.sfx-table").nth(150).locator(".sfx-table-name")
    search = root.locator(".sfx-search")

    def click(locator: Any) -> Callable[[], float]:
        return lambda: (locator.click(), last_ms(root))[1]

    def search_focus() -> float:
        search.fill("t151")
        search.press("Enter")
        return last_ms(root)

    def column_trace() -> float:
        dispatch_click(root.locator("g.sfx-column").nth(40))
        return last_ms(root)

    def table_trace() -> float:
        dispatch_click(middle)
        return last_ms(root)

    actions = {f"trace a table ({label})": table_trace, f"fdr toggle ({label})": click(root.locator(".sfx-fdr")),
               f"search + focus ({label})": search_focus, f"fit ({label})": click(root.locator(".sfx-fit")),
               f"zoom in ({label})": click(root.locator(".sfx-zoom-in"))}
    if root.locator("g.sfx-column").count():
        actions[f"trace a column ({label})"] = column_trace
    return actions


def measure(root: Any, runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    for name, act in client_side(root, "collapsed").items():
        figures[name] = [act() for _ in range(runs)]
    first = root.locator("g.sfx-table").nth(100)
    for _ in range(runs):  # expand and collapse one table: kernel round trips
        for event in ("expand", "collapse"):
            total, redraw = round_trip(root, lambda: dispatch_click(first.locator(".sfx-expand")))
            figures.setdefault(f"{event} a table, end to end", []).append(total)
            figures.setdefault(f"{event} a table, redraw", []).append(redraw)
    for _ in range(runs):
        for state in ("on", "off"):
            total, _redraw = round_trip(root, lambda: root.locator(".sfx-intermediate").click())
            figures.setdefault("intermediate toggle, end to end", []).append(total)
    total, redraw = round_trip(root, lambda: root.locator(".sfx-expand-all").click())
    figures["expand all (once), end to end"] = [total]
    figures["expand all (once), redraw"] = [redraw]
    for name, act in client_side(root, "all expanded").items():
        figures[name] = [act() for _ in range(runs)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", type=int, default=300)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        process, server = _start_server("lab", Path(home))
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    server.api("GET", "status")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit(f"JupyterLab did not start; log: {server.log_tail()}")
                    time.sleep(0.2)
            harness_notebook(server.root / NAME, f"big_lineage({args.tables})")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                context, _blocked = offline_context(browser, ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:"))
                page = context.new_page()
                page.set_default_timeout(120_000)
                root = open_explorer(page, server, NAME, "")
                root.scroll_into_view_if_needed()
                scene = root.evaluate("r => [r.dataset.sceneTables, r.querySelectorAll('path.sfx-edge').length]")
                figures = measure(root, args.runs)
                edges = root.locator("path.sfx-edge").count()
                browser.close()
        finally:
            _stop(process)
    print(machine_info())
    print(f"{scene[0]} tables; {scene[1]} edges collapsed, {edges} all expanded; {args.runs} runs; "
          f"times in ms measured in the browser (aim: {AIM_MS:.0f} ms)\n")
    rows = [[name, f"{median(values):.1f}", f"{min(values):.1f}-{max(values):.1f}", f"{AIM_MS:.0f}",
             "yes" if median(values) <= AIM_MS else "NO"] for name, values in figures.items()]
    print(table(["interaction", "median ms", "range ms", "aim ms", "within aim"], rows))


if __name__ == "__main__":
    main()
