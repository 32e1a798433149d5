"""The saved tutorials as static HTML (``jupyter nbconvert --to html``): what GitHub-like viewers show.

The tutorials are saved with the static forms of their displays (``docs/saved-outputs.md``): the job
panel's ``sqlflow-job`` table and the lineage picture as an ``<img>`` of its SVG. An output that came
out empty (a widget view with nothing to draw, say) fails the test. No Jupyter server is needed:
nbconvert runs as a subprocess on the repo's notebooks and writes to a temp dir. The HTML is then
opened in headless Chromium from a file:// URL with every other request aborted (nbconvert's page asks
cdnjs for require.js and MathJax; they are not needed), checked for visible pictures, and screenshot
into ``screenshot_dir``.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_pages import offline_context

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUICKSTART = "01-quickstart"
LINEAGE = "03-lineage"
#: Tables of 03-lineage.ipynb's SQL: one box each, in both pictures (the --wait panel and --show).
LINEAGE_TABLES = 6
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: What counts as visible content besides text.
VISUAL = {"table", "img", "svg"}


@dataclass
class Output:
    """One ``jp-OutputArea-output`` div of the HTML: its mime type, text and what is inside."""

    mime: str
    depth: int
    text: list[str] = field(default_factory=list)
    tags: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)  # class name -> number of elements with it
    images: list[str] = field(default_factory=list)  # the src of each <img>

    @property
    def visible_text(self) -> str:
        return "".join(self.text).strip()

    @property
    def empty(self) -> bool:
        return not self.visible_text and not VISUAL & set(self.tags)


class OutputAreas(HTMLParser):
    """Collects every output div of nbconvert's HTML (nested elements tracked by depth)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outputs: list[Output] = []
        self._open: list[Output] = []
        self._depth = 0
        self._hidden = 0  # inside <style> or <script>: not visible text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        for output in self._open:
            output.tags[tag] += 1
            output.classes.update(classes)
            if tag == "img":
                output.images.append(dict(attrs).get("src") or "")
        if tag in VOID:
            return
        self._depth += 1
        if tag in ("style", "script"):
            self._hidden += 1
        if tag == "div" and "jp-OutputArea-output" in classes:
            output = Output(mime=dict(attrs).get("data-mime-type") or "", depth=self._depth)
            self.outputs.append(output)
            self._open.append(output)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # <img ... />
        classes = set((dict(attrs).get("class") or "").split())
        for output in self._open:
            output.tags[tag] += 1
            output.classes.update(classes)
            if tag == "img":
                output.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag in ("style", "script") and self._hidden:
            self._hidden -= 1
        while self._open and self._open[-1].depth >= self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            for output in self._open:
                output.text.append(data)


def parse_outputs(html: str) -> list[Output]:
    parser = OutputAreas()
    parser.feed(html)
    parser.close()
    return parser.outputs


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``jupyter nbconvert --to html`` of the saved quickstart and lineage tutorials, in a temp dir."""
    out = tmp_path_factory.mktemp("nbconvert")
    notebooks = [str(NOTEBOOKS / f"{name}.ipynb") for name in (QUICKSTART, LINEAGE)]
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(out), *notebooks],
                          capture_output=True, text=True, timeout=180, cwd=out)
    assert done.returncode == 0, f"nbconvert failed:\n{done.stdout}\n{done.stderr}"
    pages = {name: out / f"{name}.html" for name in (QUICKSTART, LINEAGE)}
    for path in pages.values():
        assert path.is_file(), f"nbconvert wrote no {path}:\n{done.stderr}"
    return pages


def describe(output: Output) -> str:
    return f"<output {output.mime or 'no mime type'}: text {output.visible_text[:80]!r}, tags {dict(output.tags)}>"


def test_static_html_shows_panel_tables_and_pictures_and_no_empty_output(exported: dict[str, Path]) -> None:
    for name, path in exported.items():
        outputs = parse_outputs(path.read_text(encoding="utf-8"))
        assert outputs, f"{name}: no output area in {path}"
        empty = [describe(o) for o in outputs if o.empty]
        assert not empty, f"{name}: empty output areas in {path}: {empty}"
        leftovers = [describe(o) for o in outputs
                     if "VBox(children=" in o.visible_text or "Loading widget" in o.visible_text]
        assert not leftovers, f"{name}: widget placeholders instead of the HTML form in {path}: {leftovers}"

    quickstart = parse_outputs(exported[QUICKSTART].read_text(encoding="utf-8"))
    panels = [o for o in quickstart if o.classes["sqlflow-job"]]
    assert len(panels) == 3, f"{QUICKSTART}: job panels as HTML tables: {[describe(o) for o in panels]}"
    for panel in panels:  # the submits' panels were brought up to date by the last cell's --wait
        assert panel.mime == "text/html" and panel.tags["table"] >= 1, describe(panel)
        for label in ("Job id", "Status", "success", "embedded local server"):
            assert label in panel.visible_text, f"{QUICKSTART}: {label!r} not in {describe(panel)}"
    assert [len(panel.images) for panel in panels] == [0, 0, 1], f"{QUICKSTART}: the finished job's picture"

    lineage = parse_outputs(exported[LINEAGE].read_text(encoding="utf-8"))
    pictures = [o for o in lineage if o.classes["sqlflow-lineage"]]
    assert len(pictures) == 2, (f"{LINEAGE}: outputs with the lineage picture (the --wait panel and --show): "
                                f"{[describe(o) for o in pictures]}")
    for picture in pictures:
        assert picture.mime == "text/html" and picture.tags["svg"] == 0 and len(picture.images) == 1, describe(picture)
        svg = base64.b64decode(picture.images[0].removeprefix("data:image/svg+xml;base64,")).decode()
        assert svg.count('class="sqlflow-table ') == LINEAGE_TABLES, f"{LINEAGE}: boxes of {describe(picture)}"
        assert 'class="sqlflow-edge"' in svg, f"{LINEAGE}: no arrow in {describe(picture)}"
    assert pictures[0].classes["sqlflow-job"] == 1, f"{LINEAGE}: the --wait output is not the job panel"


def test_static_html_renders_offline_in_chromium(exported: dict[str, Path], chromium: Any,
                                                 screenshot_dir: Path) -> None:
    context, blocked = offline_context(chromium, ("file://",))
    page = context.new_page()
    where = f"(screenshots: {screenshot_dir})"
    try:
        for name, path in exported.items():
            page.goto(path.as_uri(), wait_until="load")
            shot = screenshot_dir / f"static-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            outputs = page.locator(".jp-OutputArea-output")
            sizes = outputs.evaluate_all("""els => els.map(e => {
                const r = e.getBoundingClientRect();
                return {w: r.width, h: r.height, text: e.innerText.trim().slice(0, 60),
                        visual: e.querySelectorAll('table, img, svg').length};
            })""")
            assert sizes, f"{name}: no output area rendered {where}"
            blank = [s for s in sizes if s["h"] < 5 or s["w"] < 5 or not (s["text"] or s["visual"])]
            assert not blank, f"{name}: output areas rendered empty: {blank} {where}"
            if name == QUICKSTART:
                tables = page.locator(".jp-OutputArea-output .sqlflow-job table")
                assert tables.count() == 3, f"{name}: {tables.count()} job tables rendered {where}"
                for i in range(3):
                    box = tables.nth(i).bounding_box()
                    assert box and box["width"] > 100 and box["height"] > 100, f"{name}: job table {i}: {box} {where}"
            else:
                images = page.locator(".jp-OutputArea-output .sqlflow-lineage img.sqlflow-lineage-picture")
                assert images.count() == 2, f"{name}: {images.count()} pictures rendered {where}"
                for i in range(2):
                    size = images.nth(i).evaluate("e => [e.complete && e.naturalWidth, e.getBoundingClientRect()]")
                    assert size[0] and size[1]["width"] > 200 and size[1]["height"] > 50, (
                        f"{name}: picture {i} is not drawn: {size} {where}")
                images.first.screenshot(path=str(screenshot_dir / f"static-{name}-picture.png"))
    finally:
        context.close()
    print(f"\nstatic HTML: screenshots in {screenshot_dir}; {len(blocked)} non-file request(s) blocked "
          f"({sorted({url.split('/')[2] for url in blocked if '//' in url})})")
