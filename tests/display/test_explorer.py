"""The lineage explorer's Python side: the scene per contract, its layout, the messages, summary, SQL text."""

from __future__ import annotations

import json

import pytest

from sqlflow_magic.display.explorer import LineageExplorer
from sqlflow_magic.display.lineage_svg import Box
from sqlflow_magic.server.lineage.export import to_sqlflow_json
from tests.display.test_lineage_picture import sales_lineage
from tests.support.generated_lineage import layered_lineage
from tests.support.lineage_corpus import CASES, analyze_case

pytestmark = pytest.mark.unit

TABLE_KEYS = {"id", "name", "type", "intermediate", "x", "y", "width", "height", "expanded", "header_height",
              "columns", "degree", "more"}
EDGE_KEYS = {"id", "source", "target", "source_column", "target_column", "kind", "clause_type", "effect_type",
             "dependency", "points", "where", "statement"}
CORPUS = [case for case in CASES if case.id.startswith(("oracle", "mssql", "snowflake", "postgres"))][:40]
SCRIPT = """CREATE TABLE src (a INT, b INT, c INT);
INSERT INTO mid (x, y)
SELECT a, b + c FROM src
WHERE c > 0;
CREATE VIEW rpt AS SELECT x, y FROM mid;
"""


def explorer_of(script: str, **options):
    from sqlflow_magic.server.lineage import SqlSource, analyze

    return LineageExplorer(to_sqlflow_json(analyze([SqlSource("load.sql", script)], "oracle")), **options)


def box(table) -> Box:
    return Box(table["x"], table["y"], table["width"], table["height"])


def check_scene(scene) -> None:
    """The contract's shape and the layout's invariants."""
    assert {"version", "width", "height", "mode", "focus", "total_tables", "total_edges", "hidden_tables", "tables",
            "edges"} == set(scene)
    tables = {t["id"]: t for t in scene["tables"]}
    assert all(set(t) == TABLE_KEYS for t in tables.values())
    boxes = [box(t) for t in tables.values()]
    for i, a in enumerate(boxes):  # no two boxes overlap
        for b in boxes[i + 1:]:
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y
        assert a.x >= 0 and a.y >= 0 and a.x + a.width <= scene["width"] and a.y + a.height <= scene["height"]
    for edge in scene["edges"]:
        assert set(edge) == EDGE_KEYS and edge["kind"] in ("fdd", "fdr", "frd", "fddi")
        source, target = tables[edge["source"]], tables[edge["target"]]
        assert box(source).holds(edge["points"][0]) and box(target).holds(edge["points"][-1])
        for end, table, point in (("source", source, edge["points"][0]), ("target", target, edge["points"][-1])):
            column = edge[f"{end}_column"]
            rows = {c["name"]: c["y"] for c in table["columns"]}
            if column is not None and table["expanded"] and column in rows:  # the port is on the column's row
                assert point[1] == table["y"] + rows[column]
            else:  # on the header
                assert point[1] == table["y"] + table["header_height"] / 2
        assert all(isinstance(w["line"], int) and isinstance(w["column"], int) for w in edge["where"])
    json.dumps(scene)  # what the front end gets is JSON


@pytest.mark.parametrize(("vendor", "case"), CORPUS)
def test_scene_of_a_corpus_job_keeps_the_contract_collapsed_and_expanded(vendor, case):
    widget = LineageExplorer(to_sqlflow_json(analyze_case(vendor, case)))
    check_scene(widget.scene)
    assert not any(e["source_column"] for e in widget.scene["edges"])  # collapsed: table-level arrows only
    widget.handle_message({"event": "expand_all"})
    check_scene(widget.scene)
    arrows = {(e["source"], e["target"], e["kind"]) for e in widget.scene["edges"] if e["source_column"] is None}
    columns = {(e["source"], e["target"], e["kind"]) for e in widget.scene["edges"] if e["source_column"]}
    assert columns <= arrows  # every column edge has its table-level arrow


def test_expand_shows_a_tables_column_edges_at_their_rows_and_collapse_hides_them():
    widget = explorer_of(SCRIPT)
    ids = {t["name"]: t["id"] for t in widget.scene["tables"]}
    before = {t["id"]: (t["x"], t["y"]) for t in widget.scene["tables"]}
    widget.handle_message({"event": "expand", "table": ids["mid"]})
    scene = widget.scene
    check_scene(scene)
    mid = next(t for t in scene["tables"] if t["id"] == ids["mid"])
    assert mid["expanded"] and mid["height"] > mid["header_height"] + 2 * 20 - 1
    pairs = {(e["source_column"], e["target_column"], e["kind"]) for e in scene["edges"] if e["source_column"]}
    assert pairs == {("a", "x", "fdd"), ("b", "y", "fdd"), ("c", "y", "fdd"), ("c", "x", "fdr"), ("c", "y", "fdr"),
                     ("x", "x", "fdd"), ("y", "y", "fdd")}
    assert {t["id"]: t["x"] for t in scene["tables"]} == {k: v[0] for k, v in before.items()}  # layers kept
    widget.handle_message({"event": "collapse", "table": ids["mid"]})
    assert not any(e["source_column"] for e in widget.scene["edges"])
    assert {t["id"]: (t["x"], t["y"]) for t in widget.scene["tables"]} == before


def test_an_unknown_table_or_event_is_answered_with_a_reason_and_changes_nothing():
    widget = explorer_of(SCRIPT)
    scene = widget.scene
    assert widget.handle_message({"event": "expand", "table": "nope"}) == {
        "event": "error", "reason": "no table 'nope' in this lineage"}
    assert "the events are expand" in widget.handle_message({"event": "explode"})["reason"]
    assert widget.scene == scene


def test_the_intermediate_option_draws_sql_intermediates_as_boxes_and_back():
    widget = LineageExplorer(sales_lineage())
    assert not any(t["intermediate"] for t in widget.scene["tables"])
    widget.handle_message({"event": "options", "intermediate": True})
    check_scene(widget.scene)
    assert widget.options == {"intermediate": True}
    shown = {t["name"]: t["type"] for t in widget.scene["tables"] if t["intermediate"]}
    assert shown == {"INSERT-SELECT-1": "insert-select"}
    names = {t["id"]: t["name"] for t in widget.scene["tables"]}
    assert ("SALES.ORDERS", "INSERT-SELECT-1") in {(names[e["source"]], names[e["target"]])
                                                   for e in widget.scene["edges"]}
    widget.options = {"intermediate": False}  # the front end may set the synced option itself
    assert not any(t["intermediate"] for t in widget.scene["tables"])


def test_a_300_table_lineage_starts_from_a_summary_and_opens_a_neighbourhood():
    widget = LineageExplorer(layered_lineage(300))
    scene = widget.scene
    check_scene(scene)
    assert scene["mode"] == "summary" and scene["total_tables"] == 300
    assert 20 < len(scene["tables"]) <= 150 and scene["hidden_tables"] == 300 - len(scene["tables"])
    everything = LineageExplorer(layered_lineage(300), max_tables=300).scene
    assert everything["mode"] == "all" and len(everything["tables"]) == 300
    busiest = max(everything["tables"], key=lambda t: (t["degree"], -int(t["id"][1:])))
    shown = {t["id"]: t for t in scene["tables"]}
    assert shown[busiest["id"]]["more"] == 0  # the busiest table with all its neighbours
    with_more = [t for t in scene["tables"] if t["more"]]
    assert with_more
    target = with_more[0]["id"]
    widget.handle_message({"event": "neighbourhood", "table": target, "depth": 1})
    near = widget.scene
    check_scene(near)
    assert near["mode"] == "neighbourhood" and near["focus"] == target
    assert len(near["tables"]) == with_more[0]["degree"] + 1
    assert next(t for t in near["tables"] if t["id"] == target)["more"] == 0
    widget.handle_message({"event": "summary"})
    assert widget.scene["mode"] == "summary" and widget.scene["focus"] is None


def test_the_sql_of_an_edge_is_its_statement_in_the_submitted_text():
    widget = explorer_of(SCRIPT, sql=SCRIPT)
    ids = {t["name"]: t["id"] for t in widget.scene["tables"]}
    widget.handle_message({"event": "expand", "table": ids["mid"]})
    edge = next(e for e in widget.scene["edges"] if e["source_column"] == "c" and e["kind"] == "fdr")
    assert edge["clause_type"] == "where" and edge["where"][0] == {"file": "query.sql", "line": 4, "column": 7}
    answer = widget.handle_message({"event": "sql", "edge": edge["id"]})
    assert answer == {"event": "sql", "edge": edge["id"], "available": True, "file": "query.sql", "line": 4,
                      "column": 7, "text": "INSERT INTO mid (x, y)\nSELECT a, b + c FROM src\nWHERE c > 0;",
                      "reason": None}
    view = next(e for e in widget.scene["edges"] if e["target"] == ids["rpt"])
    assert widget.sql(view["id"])["text"] == "CREATE VIEW rpt AS SELECT x, y FROM mid;"


def test_flows_hold_every_column_flow_for_the_trace_drawn_or_not():
    widget = explorer_of(SCRIPT)
    ids = {t["name"]: t["id"] for t in widget.scene["tables"]}
    assert not any(e["source_column"] for e in widget.scene["edges"])  # nothing expanded: no column edge drawn
    assert [ids["src"], "a", ids["mid"], "x", "fdd"] in widget.flows
    assert [ids["mid"], "x", ids["rpt"], "x", "fdd"] in widget.flows
    assert [ids["src"], "c", ids["mid"], "y", "fdd"] in widget.flows  # b + c


def test_the_sql_of_an_edge_has_the_credentials_written_in_it_masked():
    script = "INSERT INTO mid (x) SELECT a FROM src WHERE c = 'postgres://etl:hunter22@db/x';\n"
    widget = explorer_of(script, sql=script)
    text = widget.sql(widget.scene["edges"][0]["id"])["text"]
    assert "hunter22" not in text and "postgres://etl:********@db/x" in text


def test_the_sql_of_an_edge_is_unavailable_with_the_reason():
    widget = explorer_of(SCRIPT)  # no text given, none submitted from this kernel
    edge = widget.scene["edges"][0]
    answer = widget.handle_message({"event": "sql", "edge": edge["id"]})
    assert answer["available"] is False and answer["text"] is None and answer["line"] == edge["where"][0]["line"]
    assert answer["reason"] == ("the SQL of this lineage was not submitted from this kernel, and SQLFlow's API "
                                "does not return a job's files")
    two = explorer_of(SCRIPT, sql={"a.sql": SCRIPT, "b.sql": SCRIPT}, job_id="j1")
    assert two.sql(two.scene["edges"][0]["id"])["reason"] == (
        "job j1 has 2 files and the lineage's positions do not say which one this edge is in")
    assert widget.sql("t:nope")["reason"] == "no edge 't:nope' in the scene shown"


def test_the_widget_display_carries_the_static_picture_for_front_ends_without_widgets():
    bundle = explorer_of(SCRIPT)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'class="sqlflow-lineage-picture"' in bundle["text/html"] and "src -> mid" in bundle["text/plain"]


def test_bad_input_is_refused_in_one_line_that_names_the_fix():
    with pytest.raises(ValueError, match=r"^LineageExplorer needs SQLFlow lineage JSON \(a dict or JSON text\): "
                                         r"Expecting value"):
        LineageExplorer("not json")
    with pytest.raises(ValueError, match=r"^LineageExplorer needs .*: lineage JSON must be an object, got list$"):
        LineageExplorer([])
    with pytest.raises(ValueError, match=r"^max_tables must be a positive number of tables, not 0$"):
        LineageExplorer(sales_lineage(), max_tables=0)
