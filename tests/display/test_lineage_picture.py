"""The lineage picture: parsing SQLFlow's lineage JSON, the SVG drawing, the static view."""

from __future__ import annotations

import copy
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from sqlflow_magic.display.lineage_svg import to_svg
from sqlflow_magic.display.lineage_view import MAX_TABLES, LineageView
from sqlflow_magic.lineage_json import read_lineage as parse_lineage
from tests.support.pictures import picture_svg

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"


# -- fixtures: lineage JSON written after the API page ---------------------------------------------
def _obj(oid, name, kind, columns=(), schema=None):
    obj = {"id": oid, "name": name, "type": kind,
           "columns": [{"id": f"{oid}.{c}", "name": c, "coordinates": []} for c in columns], "coordinates": []}
    if schema:
        obj["schema"] = schema
    return obj


def _ref(parent, parent_name, column):
    return {"id": f"{parent}.{column}", "column": column, "parentId": parent, "parentName": parent_name,
            "coordinates": []}


def _rel(rid, kind, effect, target, sources, process=None):
    rel = {"id": rid, "type": kind, "effectType": effect, "target": _ref(*target),
           "sources": [_ref(*s) for s in sources]}
    if process:
        rel["processId"] = process
    return rel


def sales_lineage():
    """orders + customers -> (insert-select) -> daily_sales -> view region_totals -> RS-1, as a job export."""
    objs = [
        _obj("4", "ORDERS", "table", ["ORDER_DATE", "CUSTOMER_ID", "AMOUNT", "STATUS"], schema="SALES"),
        _obj("5", "CUSTOMERS", "table", ["ID", "REGION"], schema="SALES"),
        _obj("6", "DAILY_SALES", "table", ["DAY", "REGION", "TOTAL"], schema="SALES"),
        _obj("7", "REGION_TOTALS", "view", ["REGION", "TOTAL"], schema="SALES"),
        _obj("8", "INSERT-SELECT-1", "insert-select", ["DAY", "REGION", "TOTAL"]),
        _obj("9", "RS-1", "select_list", ["REGION", "TOTAL"]),
        _obj("60", "Query Insert-1", "process"),
    ]
    o, c, d, v, i, r = (("4", "ORDERS"), ("5", "CUSTOMERS"), ("6", "DAILY_SALES"), ("7", "REGION_TOTALS"),
                        ("8", "INSERT-SELECT-1"), ("9", "RS-1"))
    rels = [
        _rel("101", "fdd", "insert", (*i, "DAY"), [(*o, "ORDER_DATE")], "60"),
        _rel("102", "fdd", "insert", (*i, "REGION"), [(*c, "REGION")], "60"),
        _rel("103", "fdd", "insert", (*i, "TOTAL"), [(*o, "AMOUNT")], "60"),
        _rel("104", "fdr", "insert", (*i, "TOTAL"), [(*o, "STATUS")], "60"),
        _rel("105", "fdd", "insert", (*d, "DAY"), [(*i, "DAY")], "60"),
        _rel("106", "fdd", "insert", (*d, "REGION"), [(*i, "REGION")], "60"),
        _rel("107", "fdd", "insert", (*d, "TOTAL"), [(*i, "TOTAL")], "60"),
        _rel("108", "join", "select", (*c, "ID"), [(*o, "CUSTOMER_ID")]),
        _rel("109", "fdd", "create_view", (*v, "REGION"), [(*d, "REGION")]),
        _rel("110", "fdd", "create_view", (*v, "TOTAL"), [(*d, "TOTAL")]),
        _rel("111", "fdd", "select", (*r, "REGION"), [(*v, "REGION")]),
        _rel("112", "fdr", "select", (*r, "TOTAL"), [(*v, "TOTAL")]),
    ]
    return {"jobId": "j1", "code": 200, "sessionId": "x_1",
            "data": {"mode": "global", "summary": {}, "graph": {},
                     "sqlflow": {"dbvendor": "dbvmssql", "dbobjs": objs, "relationships": rels, "errors": []}}}


def nested(lineage):
    """The same lineage with ``dbobjs`` nested as servers -> databases -> schemas -> tables/views/others."""
    data = copy.deepcopy(lineage)
    flat = data["data"]["sqlflow"]["dbobjs"]
    for obj in flat:
        obj.pop("schema", None)
    schema = {"name": "SALES", "tables": [o for o in flat if o["type"] == "table"],
              "views": [{k: v for k, v in o.items() if k != "type"} for o in flat if o["type"] == "view"],
              "others": [o for o in flat if o["type"] not in ("table", "view")]}
    data["data"]["sqlflow"]["dbobjs"] = {"createdBy": "test", "servers": [
        {"name": "default_server", "dbVendor": "dbvmssql", "databases": [{"name": "DEFAULT", "schemas": [schema]}]}]}
    return data


def big_lineage(n=200):
    """``n`` tables: a hub fed by 20 tables and feeding 10, the rest in chains of five."""
    objs = [_obj(str(k), f"T{k:03d}", "table", ["A", "B"]) for k in range(n)]
    pairs = [(k, 0) for k in range(1, 21)] + [(0, k) for k in range(21, 31)]
    pairs += [(k, k + 1) for k in range(31, n - 1) if (k - 31) % 5 != 4]
    rels = [_rel(f"r{i}", "fdd", "insert", (str(t), f"T{t:03d}", "A"), [(str(s), f"T{s:03d}", "B")])
            for i, (s, t) in enumerate(pairs)]
    return {"code": 200, "data": {"sqlflow": {"dbobjs": objs, "relationships": rels}}}


def parse_svg(svg):
    root = ET.fromstring(svg)
    boxes = {g.get("data-table"): g for g in root.iter(f"{SVG}g") if "sqlflow-table" in g.get("class", "").split()}
    arrows = [(p.get("data-source"), p.get("data-target")) for p in root.iter(f"{SVG}path")
              if p.get("class") == "sqlflow-edge"]
    return boxes, arrows


def box_x(box):
    return float(box.find(f"{SVG}rect").get("x"))


EXPECTED_EDGES = {("SALES.CUSTOMERS", "SALES.DAILY_SALES"), ("SALES.ORDERS", "SALES.DAILY_SALES"),
                  ("SALES.DAILY_SALES", "SALES.REGION_TOTALS"), ("SALES.REGION_TOTALS", "RS-1")}


# -- the model ---------------------------------------------------------------------------------------
def test_parse_joins_flows_through_intermediates_and_keeps_the_result_set():
    graph = parse_lineage(sales_lineage())
    assert [(t.name, t.type) for t in graph.tables] == [
        ("RS-1", "result_set"), ("SALES.CUSTOMERS", "table"), ("SALES.DAILY_SALES", "table"),
        ("SALES.ORDERS", "table"), ("SALES.REGION_TOTALS", "view")]
    assert {(graph.name(e.source), graph.name(e.target)) for e in graph.edges} == EXPECTED_EDGES
    orders_to_daily = next(e for e in graph.edges if graph.name(e.source) == "SALES.ORDERS")
    assert orders_to_daily.relation_types == ("fdd", "fdr") and orders_to_daily.effect_types == ("insert",)
    flows = {(graph.name(e.source_table), e.source_column, graph.name(e.target_table), e.target_column,
              e.relation_type) for e in graph.column_edges}
    assert ("SALES.ORDERS", "AMOUNT", "SALES.DAILY_SALES", "TOTAL", "fdd") in flows
    assert ("SALES.ORDERS", "STATUS", "SALES.DAILY_SALES", "TOTAL", "fdr") in flows  # fdr then fdd is fdr
    assert ("SALES.ORDERS", "CUSTOMER_ID", "SALES.CUSTOMERS", "ID", "join") in flows  # listed, not drawn


def test_nested_dbobjs_and_the_generation_shape_give_the_same_graph():
    expected = parse_lineage(sales_lineage())
    assert parse_lineage(nested(sales_lineage())) == expected
    generation = {"code": 200, "data": sales_lineage()["data"]["sqlflow"]}
    assert parse_lineage(generation) == expected
    import json

    assert parse_lineage(json.dumps(sales_lineage())) == expected


def test_table_level_export_draws_arrows_without_column_lists():
    data = {"code": 200, "data": {"sqlflow": {"dbobjs": [
        _obj("1", "a", "table", ["TABLE"]), _obj("2", "b", "view", ["TABLE"]), _obj("3", "p", "process")],
        "relationships": [_rel("9", "fdd", "create_view", ("2", "b", "TABLE"), [("1", "a", "TABLE")], "3")]}}}
    view = LineageView(data)
    assert [t.columns for t in view.graph.tables] == [(), ()]
    assert [(e.source, e.target) for e in view.graph.edges] == [("1", "2")]
    assert "(whole table)" in view.columns_html("1")


# -- the SVG -----------------------------------------------------------------------------------------
def test_one_box_per_table_and_one_arrow_per_edge_left_to_right():
    svg = to_svg(parse_lineage(sales_lineage()))
    boxes, arrows = parse_svg(svg)
    assert set(boxes) == {"RS-1", "SALES.CUSTOMERS", "SALES.DAILY_SALES", "SALES.ORDERS", "SALES.REGION_TOTALS"}
    assert sorted(arrows) == sorted(EXPECTED_EDGES)
    for source, target in arrows:
        assert box_x(boxes[source]) < box_x(boxes[target])
    assert boxes["SALES.REGION_TOTALS"].get("data-type") == "view"
    view_fill = boxes["SALES.REGION_TOTALS"].find(f"{SVG}rect").get("fill")
    assert view_fill != boxes["SALES.ORDERS"].find(f"{SVG}rect").get("fill")
    assert "marker-end" in svg and "<marker" in svg


def test_the_key_names_only_the_kinds_of_arrow_drawn():
    def lineage(*kinds):  # a -> b, then c -> b, ... one relationship of each kind
        tables = [_obj("0", "b", "table", ["X"])] + [_obj(str(n), f"t{n}", "table", ["X"]) for n in (1, 2)]
        flows = [_rel(f"9{n}", kind, "insert", ("0", "b", "X"), [(str(n), f"t{n}", "X")])
                 for n, kind in enumerate(kinds, start=1)]
        return {"code": 200, "data": {"sqlflow": {"dbobjs": tables, "relationships": flows}}}

    data_flow, indirect = to_svg(parse_lineage(lineage("fdd"))), to_svg(parse_lineage(lineage("fdr")))
    assert "solid arrow: data flow" in data_flow and "dashed arrow" not in data_flow
    assert "dashed arrow: indirect only" in indirect and "solid arrow" not in indirect
    both = to_svg(parse_lineage(lineage("fdd", "fdr")))
    assert "solid arrow: data flow (fdd) · dashed arrow: indirect only (fdr, frd, fddi)" in both


def test_labels_are_escaped_and_the_svg_still_parses():
    data = {"data": {"dbobjs": [_obj("1", 'a<b & "c"', "table", ["x<y"]), _obj("2", "t</svg>", "table", ["z"])],
                     "relationships": [_rel("3", "fdd", "insert", ("2", "t</svg>", "z"), [("1", 'a<b & "c"', "x<y")])]}}
    view = LineageView(data)
    boxes, arrows = parse_svg(view.svg())
    assert set(boxes) == {'a<b & "c"', "t</svg>"}
    assert arrows == [('a<b & "c"', "t</svg>")]
    for text in (view.svg(), view.html()):
        assert "a<b" not in text and "t</svg>" not in text and "a&lt;b &amp; &quot;c&quot;" in text
    ET.fromstring(f"<div>{view.html()}</div>")  # the HTML form is well-formed too


def test_cycles_and_self_loops_are_drawn_and_output_is_deterministic():
    data = {"data": {"dbobjs": [_obj(str(k), f"t{k}", "table", ["c"]) for k in range(4)], "relationships": [
        _rel(f"r{i}", "fdd", "insert", (str(t), f"t{t}", "c"), [(str(s), f"t{s}", "c")])
        for i, (s, t) in enumerate([(0, 1), (1, 2), (2, 1), (2, 2), (0, 3), (3, 2)])]}}
    svg = to_svg(parse_lineage(data))
    boxes, arrows = parse_svg(svg)
    assert len(boxes) == 4 and len(arrows) == 6
    assert svg == to_svg(parse_lineage(copy.deepcopy(data)))


def test_an_empty_lineage_draws_a_note():
    view = LineageView({"code": 500, "error": "boom <now>"})
    assert "No tables" in view.svg() and "boom &lt;now&gt;" in view.html() and "boom <now>" in view.text()


# -- the view -----------------------------------------------------------------------------------------
def test_mimebundle_is_html_with_the_picture_as_an_image_and_text():
    bundle = LineageView(sales_lineage())._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}  # no widget: it would not survive a saved notebook
    assert "SALES.ORDERS -> SALES.DAILY_SALES" in bundle["text/plain"]
    html = bundle["text/html"]
    assert html.count('<details class="sqlflow-table-details"') == 5 and "<details open" not in html
    assert "<svg" not in html  # an untrusted notebook's sanitiser strips inline SVG; an <img> survives
    assert picture_svg(html) == LineageView(sales_lineage()).svg()
    assert 'style="overflow-x:auto;max-width:100%"' in html and 'style="max-width:none"' in html  # scrolls, not cut
    assert 'alt="SQLFlow lineage: 5 tables (RS-1, SALES.CUSTOMERS' in html


def test_a_tables_details_count_one_column_and_one_edge_in_the_singular():
    objects = [_obj("1", "S", "table", ["X"]), _obj("2", "T", "table", ["A"])]
    relationships = [_rel("9", "fdd", "insert", ("2", "T", "A"), [("1", "S", "X")])]
    one = {"code": 200, "data": {"sqlflow": {"dbobjs": objects, "relationships": relationships}}}
    assert "T</b>: table, 1 column, 1 column edge</summary>" in LineageView(one).html()


def test_large_lineage_shows_a_summary_and_the_busiest_neighbourhood():
    view = LineageView(big_lineage())
    assert view.is_large and len(view.graph.tables) == 200 > MAX_TABLES
    boxes, arrows = parse_svg(view.svg())
    assert set(boxes) == {"T000", *(f"T{k:03d}" for k in range(1, 31))}
    assert len(arrows) == 30
    html, text = view.html(), view.text()
    assert "Too large to draw whole" in html and "tables: 200" in html and "T000" in html
    assert html.count("<details") == 31
    assert "Busiest tables: T000 (30)" in text
    assert LineageView(big_lineage(), max_tables=500, max_edges=500).is_large is False


def test_neighbourhood_is_cut_to_the_table_limit():
    view = LineageView(big_lineage(), max_tables=10)
    boxes, _ = parse_svg(view.svg())
    assert len(boxes) == 10 and "T000" in boxes


def test_real_engine_lineage_is_drawn():
    from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json

    sql = ("insert into daily_sales (day, total) select o.order_date, sum(o.amount) from orders o "
           "join customers c on o.customer_id = c.id group by o.order_date;\n"
           "create view region_totals as select day, total from daily_sales;\n")
    lineage = to_sqlflow_json(analyze([SqlSource("a.sql", sql)], "dbvmysql"))
    boxes, arrows = parse_svg(LineageView(lineage).svg())
    assert {"orders", "customers", "daily_sales", "region_totals"} <= set(boxes)
    assert {("orders", "daily_sales"), ("daily_sales", "region_totals")} <= set(arrows)


def test_importing_the_package_or_the_view_does_not_import_igraph():
    code = ("import sys, sqlflow_magic, sqlflow_magic.display.lineage_view; "
            "print('igraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
