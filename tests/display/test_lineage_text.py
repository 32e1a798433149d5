"""The text form of the lineage (text/plain and the HTML details): a target's columns together, fdd before fdr."""

from __future__ import annotations

import re

import pytest

from sqlflow_magic.display.lineage_view import LineageView
from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.export import to_sqlflow_json

pytestmark = pytest.mark.unit

SCRIPT = """CREATE TABLE src (a INT, b INT, c INT);
INSERT INTO mid (x, y)
SELECT a, b + c FROM src
WHERE c > 0;
CREATE VIEW rpt AS SELECT x, y FROM mid;
"""


def view_of(script: str) -> LineageView:
    return LineageView(to_sqlflow_json(analyze([SqlSource("load.sql", script)], "oracle")))


def test_the_text_form_groups_a_targets_columns_with_fdd_before_fdr():
    text = view_of(SCRIPT).text()
    assert text.split("Columns (target <- sources):\n", 1)[1].splitlines() == [
        "  mid:", "    x <- fdd: src.a; fdr: src.c", "    y <- fdd: src.b, src.c; fdr: src.c",
        "  rpt:", "    x <- fdd: mid.x", "    y <- fdd: mid.y"]


def test_the_html_details_list_a_targets_column_edges_together_fdd_first():
    view = view_of(SCRIPT)
    mid = next(t.id for t in view.graph.tables if t.name == "mid")
    rows = re.findall(r"<tr><td [^>]*>(\w+)</td><td [^>]*><code>([\w.]+)</code></td><td [^>]*><code>([\w.]+)</code>"
                      r"</td><td [^>]*>(\w+)</td>", view.columns_html(mid))
    assert rows == [("in", "src.a", "mid.x", "fdd"), ("in", "src.c", "mid.x", "fdr"), ("in", "src.b", "mid.y", "fdd"),
                    ("in", "src.c", "mid.y", "fdd"), ("in", "src.c", "mid.y", "fdr"), ("out", "mid.x", "rpt.x", "fdd"),
                    ("out", "mid.y", "rpt.y", "fdd")]
