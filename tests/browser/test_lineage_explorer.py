"""The lineage explorer clicked through in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium.

One notebook per front end submits SQL to the embedded server and opens its lineage with
``%sqlflow_lineage --show`` (five tables, fdd and fdr edges), then shows a ``LineageExplorer`` of a
SQLFlow answer with an ``INSERT-SELECT`` intermediate, then the first lineage past a limit of 3 tables
(a summary; tests/support/explorer_pages.py). The tests share that page and each clears the explorer
first: expanding a table draws its columns and their edges; clicking a column marks its path
``sfx-hit`` and the rest ``sfx-dim``; the fdr toggle shows and hides indirect edges; the intermediate
toggle (a round trip to the kernel) adds and removes the intermediate's box; a summary's ``+n`` badge
opens a neighbourhood and Back to summary returns; search and the keyboard focus a column; fit brings
every box into view; SVG and PNG exports are downloads that parse; an edge's detail shows the file,
line and SQL of the cell that submitted it; the dark theme keeps the text readable.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser_pages import assert_no_error_outputs, offline_context, screenshot_on_failure
from tests.support.explorer_pages import (
    ALL_BOXES_VISIBLE,
    CONTRAST,
    EDGE_MIDDLE,
    TABLES,
    explorer_notebook,
    open_explorers,
)

pytestmark = pytest.mark.browser

NAME = "lineage-explorer.ipynb"
SVG = "{http://www.w3.org/2000/svg}"
HIT, DIM, FOCUS = (re.compile(rf"\b{name}\b") for name in ("sfx-hit", "sfx-dim", "sfx-focus"))


@pytest.fixture(scope="module")
def explorers(jupyter: Any, chromium: Any, screenshot_dir: Path) -> Iterator[Any]:
    """The notebook's three explorers, opened once per front end (``--show``'s, the intermediate one, the summary)."""
    explorer_notebook(jupyter.root / NAME)
    context, _blocked = offline_context(chromium, ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    where = f"(server log: {jupyter.log})"
    try:
        with screenshot_on_failure(page, screenshot_dir / f"{jupyter.ui}-explorer-FAILED.png"):
            roots = open_explorers(page, jupyter, NAME, where, count=3)
            assert_no_error_outputs(page, NAME, where)
        yield roots
    finally:
        context.close()
        jupyter.delete_sessions()


def cleared(root: Any) -> Any:
    root.scroll_into_view_if_needed()
    root.focus()
    root.press("Escape")
    return root


@pytest.fixture
def root(explorers: Any, screenshot_dir: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``%sqlflow_lineage --show``'s explorer, cleared (Escape); the page's screenshot if the test fails."""
    failed = request.session.testsfailed
    yield cleared(explorers.first)
    if request.session.testsfailed > failed:
        explorers.page.screenshot(path=str(screenshot_dir / f"{request.node.name}-FAILED.png"))


def table(root: Any, name: str) -> Any:
    return root.locator(f'g.sfx-table[data-name="{name}"]')


def column(root: Any, table_name: str, name: str) -> Any:
    table_id = table(root, table_name).get_attribute("data-id")
    return root.locator(f'g.sfx-column[data-table="{table_id}"][data-column="{name}"]')


def drawn(edges: Any) -> int:
    """How many of ``edges`` are drawn (a box of some width: a straight arrow has no height, so not is_visible)."""
    return int(edges.evaluate_all("paths => paths.filter(p => p.getBoundingClientRect().width > 0).length"))


def expand(root: Any, name: str) -> None:
    if table(root, name).get_attribute("data-expanded") != "1":
        table(root, name).locator(".sfx-expand").click()
    expect(table(root, name)).to_have_attribute("data-expanded", "1")


def shot(root: Any, screenshot_dir: Path, what: str) -> None:
    """A screenshot of the explorer (docs/screenshots/ takes its pictures from these)."""
    ui = "lab" if "/lab/" in root.page.url else "notebook"
    root.screenshot(path=str(screenshot_dir / f"{ui}-explorer-{what}.png"))


def test_the_explorer_shows_every_table_of_the_submitted_sql(root: Any, screenshot_dir: Path) -> None:
    names = set(root.locator("g.sfx-table").evaluate_all("gs => gs.map(g => g.dataset.name)"))
    assert names == TABLES
    shot(root, screenshot_dir, "light")


def test_expanding_a_table_draws_its_columns_and_their_edges(root: Any) -> None:
    expand(root, "stg.orders")
    expect(table(root, "stg.orders").locator("g.sfx-column")).to_have_count(3)
    expect(root.locator('path.sfx-edge.sfx-edge-column[data-kind="fdd"]')).to_have_count(5)  # 3 in, 2 out


def test_clicking_a_column_marks_its_upstream_and_downstream_and_dims_the_rest(root: Any, screenshot_dir: Path
                                                                             ) -> None:
    expand(root, "stg.orders")
    column(root, "stg.orders", "amount").click()
    for hit in (column(root, "stg.orders", "amount"), table(root, "app.orders"), table(root, "mart.revenue")):
        expect(hit).to_have_class(HIT)
    for dim in (column(root, "stg.orders", "order_id"), table(root, "audit.order_log"), table(root, "app.customers")):
        expect(dim).to_have_class(DIM)
    expect(root.locator("path.sfx-edge-column.sfx-hit")).to_have_count(2)  # app.orders.amount -> it -> revenue
    expect(root.locator("path.sfx-edge-table.sfx-hit")).to_have_count(2)
    assert float(root.get_attribute("data-last-ms")) >= 0
    shot(root, screenshot_dir, "trace")


def test_the_fdr_toggle_shows_and_hides_indirect_edges(root: Any) -> None:
    fdr = root.locator('path.sfx-edge[data-kind="fdr"]')
    expand(root, "stg.orders")
    assert fdr.count() == 8 and not drawn(fdr), "fdr edges (3 arrows, 5 column edges) are hidden by default"
    root.locator(".sfx-fdr").check()
    assert drawn(fdr) == fdr.count(), "the fdr toggle shows every fdr edge"
    root.locator(".sfx-fdr").uncheck()
    assert not drawn(fdr), "the fdr toggle hides them again"


def test_the_intermediate_toggle_asks_the_kernel_for_the_intermediate_boxes(explorers: Any) -> None:
    other = cleared(explorers.nth(1))
    assert table(other, "app.dst").count() == 1 and table(other, "INSERT-SELECT-1").count() == 0
    other.locator(".sfx-intermediate").check()
    expect(table(other, "INSERT-SELECT-1")).to_have_count(1)
    other.locator(".sfx-intermediate").uncheck()
    expect(table(other, "INSERT-SELECT-1")).to_have_count(0)


def test_a_summary_badge_opens_a_tables_neighbourhood_and_back_to_summary_returns(explorers: Any) -> None:
    summary = cleared(explorers.nth(2))
    expect(summary.locator(".sfx-status")).to_contain_text("summary")
    assert table(summary, "app.orders").count() == 0 and not summary.locator(".sfx-summary").is_visible()
    table(summary, "stg.orders").locator(".sfx-more").click()
    expect(table(summary, "app.orders")).to_have_count(1)
    expect(summary.locator(".sfx-status")).to_contain_text("neighbourhood of stg.orders")
    summary.locator(".sfx-summary").click()
    expect(table(summary, "app.orders")).to_have_count(0)


def test_search_finds_a_column_of_a_collapsed_table_expands_it_and_focuses_it(root: Any) -> None:
    root.locator(".sfx-search").fill("countr")
    root.locator(".sfx-search").press("Enter")
    expect(table(root, "app.customers")).to_have_attribute("data-expanded", "1")
    expect(column(root, "app.customers", "country")).to_have_class(FOCUS)
    expect(root).to_have_attribute("data-focused", table(root, "app.customers").get_attribute("data-id") + ".country")
    assert column(root, "app.customers", "country").is_visible()


def test_keys_search_trace_fit_and_clear(root: Any) -> None:
    root.press("/")
    expect(root.locator(".sfx-search")).to_be_focused()
    root.page.keyboard.type("audit")
    root.page.keyboard.press("Enter")
    expect(table(root, "audit.order_log")).to_have_class(FOCUS)
    root.page.keyboard.press("Escape")  # leaves the search box for the explorer
    root.press("t")
    expect(table(root, "stg.orders")).to_have_class(HIT)
    expect(table(root, "app.customers")).to_have_class(DIM)
    root.press("f")
    expect(root).to_have_attribute("data-last-action", "fit")
    root.press("Escape")
    expect(root.locator(".sfx-hit, .sfx-dim")).to_have_count(0)


def test_fit_brings_every_box_into_the_viewport(root: Any) -> None:
    for _ in range(6):
        root.locator(".sfx-zoom-in").click()
    assert root.evaluate(ALL_BOXES_VISIBLE)["outside"], "zoomed in, some box should be out of view"
    root.locator(".sfx-fit").click()
    fit = root.evaluate(ALL_BOXES_VISIBLE)
    assert fit["boxes"] == len(TABLES) and fit["outside"] == [], f"after Fit, boxes out of view: {fit}"


def test_svg_export_is_a_download_of_the_drawing(root: Any, tmp_path: Path) -> None:
    with root.page.expect_download() as download:
        root.locator(".sfx-export-svg").click()
    path = tmp_path / "lineage.svg"
    download.value.save_as(path)
    drawing = ElementTree.parse(path).getroot()
    boxes = {g.get("data-name") for g in drawing.iter(f"{SVG}g") if "sfx-table" in (g.get("class") or "").split()}
    assert download.value.suggested_filename == "lineage.svg"
    assert boxes == TABLES


def test_png_export_is_a_download_of_a_png_picture(root: Any, tmp_path: Path) -> None:
    with root.page.expect_download() as download:
        root.locator(".sfx-export-png").click()
    path = tmp_path / "lineage.png"
    download.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: {data[:16]!r}"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width >= 400 and height >= 100, f"PNG of {width} x {height}"


def test_clicking_an_edge_shows_the_file_line_and_sql_of_the_cell_that_submitted_it(root: Any, screenshot_dir: Path
                                                                                   ) -> None:
    source, target = (table(root, name).get_attribute("data-id") for name in ("app.orders", "stg.orders"))
    edge = root.locator(f'path.sfx-edge-table[data-kind="fdd"][data-id="t:{source}>{target}:fdd"]')
    root.locator(".sfx-fit").click()
    point = edge.evaluate(EDGE_MIDDLE)
    root.page.mouse.click(point["x"], point["y"])  # a click on the arrow itself, where a user clicks
    detail = root.locator(".sfx-detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".sfx-detail-statement")).to_contain_text("cell.sql, line 2")  # where the SELECT reads them
    sql = detail.locator(".sfx-detail-sql")
    expect(sql).to_contain_text("INSERT INTO stg.orders (order_id, customer_id, amount)")
    expect(sql).to_contain_text("FROM app.orders WHERE status = 'paid'")
    expect(sql).not_to_contain_text("mart.revenue")  # the statement, not the whole cell
    shot(root, screenshot_dir, "sql")


def test_the_dark_theme_keeps_the_explorer_readable(root: Any, screenshot_dir: Path) -> None:
    expand(root, "stg.orders")
    page = root.page
    light = root.evaluate(CONTRAST)
    use_theme(page, "JupyterLab Dark")
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        dark = root.evaluate(CONTRAST)
        print(f"\ncontrast light {light}\ncontrast dark {dark}")
        root.locator(".sfx-fit").click()
        shot(root, screenshot_dir, "dark")
        assert dark["background"] != light["background"], f"the explorer ignored the dark theme: {dark}"
        for theme in (light, dark):
            assert min(theme["names"], theme["labels"], theme["search"]) >= 4.5, f"contrast below 4.5: {theme}"
    finally:
        use_theme(page, "JupyterLab Light")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


def use_theme(page: Any, name: str) -> None:
    """Settings > Theme > ``name``, as a user picks it (in JupyterLab 4 and Notebook 7 alike)."""
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Theme", exact=True).click()  # opens the submenu
    page.locator(".lm-Menu-itemLabel").get_by_text(name, exact=True).click()
