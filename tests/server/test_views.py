"""SQLFlow's display settings applied to a complete lineage: relationship types, hidden intermediates, filters."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.exports import ViewError, ViewOptions, apply_view, summary

pytestmark = pytest.mark.unit


def obj(oid, name, kind, columns=(), schema=None):
    found = {"id": oid, "name": name, "type": kind, "columns": [{"id": f"{oid}.{c}", "name": c} for c in columns]}
    return {**found, "schema": schema} if schema else found


def end(oid, name, column):
    return {"id": f"{oid}.{column}", "column": column, "parentId": oid, "parentName": name}


def rel(rid, kind, target, *sources, effect="insert"):
    found = {"id": rid, "type": kind, "effectType": effect, "target": end(*target),
             "sources": [end(*s) for s in sources]}
    return {**found, "processId": "9"} if effect == "insert" else found


ORDERS, RS, FN, TOTALS, REPORT = ("1", "s.orders"), ("2", "RS-1"), ("3", "FUNCTION-1"), ("4", "s.totals"), ("5", "RS-2")
#: orders -> RS-1 (a pass-through result set) -> totals; orders.amount -> SUM() -> totals.total; totals -> RS-2 (ends)
MODEL = {"code": 200, "sessionId": "x_1", "data": {"mode": "global", "sqlflow": {"dbvendor": "dbvoracle", "dbobjs": [
    obj(*ORDERS, "table", ["id", "amount", "status"], schema="s"), obj(*RS, "select_list", ["id"]),
    obj(*FN, "function", ["SUM"]), obj(*TOTALS, "table", ["id", "total"], schema="s"),
    obj(*REPORT, "select_list", ["total"]), obj("9", "Query Insert-1", "process")], "relationships": [
    rel("10", "fdd", (*RS, "id"), (*ORDERS, "id"), effect="select"),
    rel("11", "fdr", (*RS, "id"), (*ORDERS, "status"), effect="select"),
    rel("12", "fdd", (*TOTALS, "id"), (*RS, "id")),
    rel("13", "fdd", (*FN, "SUM"), (*ORDERS, "amount"), effect="function"),
    rel("14", "fdd", (*TOTALS, "total"), (*FN, "SUM")),
    rel("15", "fdd", (*REPORT, "total"), (*TOTALS, "total"), effect="select"),
    rel("16", "join", (*TOTALS, "id"), (*ORDERS, "id"), effect="select"),
]}}}


def flows(view):
    return {(s["parentName"], s["column"], r["target"]["parentName"], r["target"]["column"], r["type"])
            for r in view["data"]["sqlflow"]["relationships"] for s in r["sources"]}


def names(view):
    return {o["name"] for o in view["data"]["sqlflow"]["dbobjs"]}


def test_the_default_is_fdd_with_pass_through_result_sets_and_functions_joined():
    view = apply_view(MODEL, ViewOptions())
    assert flows(view) == {("s.orders", "id", "s.totals", "id", "fdd"),
                           ("s.orders", "amount", "s.totals", "total", "fdd"),
                           ("s.totals", "total", "RS-2", "total", "fdd")}
    assert names(view) == {"s.orders", "s.totals", "RS-2", "Query Insert-1"}  # RS-2 ends a flow: it stays
    assert view["data"]["summary"]["relationship"] == 3 and "RS-1" not in str(view["data"]["summary"])
    assert names(MODEL) >= {"RS-1", "FUNCTION-1"}, "the complete lineage is not changed"


def test_an_indirect_hop_makes_the_joined_flow_indirect():
    view = apply_view(MODEL, ViewOptions(relation_types=frozenset({"fdd", "fdr"})))
    assert ("s.orders", "status", "s.totals", "id", "fdr") in flows(view)  # fdr into RS-1, then fdd out of it
    assert ("s.orders", "status", "s.totals", "id", "fdd") not in flows(view)


def test_result_sets_and_functions_are_shown_when_asked():
    view = apply_view(MODEL, ViewOptions(ignore_record_set=False, ignore_function=False))
    assert {"RS-1", "FUNCTION-1"} <= names(view)
    assert ("s.orders", "amount", "FUNCTION-1", "SUM", "fdd") in flows(view)
    only_functions = apply_view(MODEL, ViewOptions(ignore_record_set=False))
    assert "RS-1" in names(only_functions) and "FUNCTION-1" not in names(only_functions)


def test_join_relationships_only_when_asked():
    assert not [f for f in flows(apply_view(MODEL, ViewOptions())) if f[4] == "join"]
    joins = apply_view(MODEL, ViewOptions(relation_types=frozenset({"join"})))
    assert flows(joins) == {("s.orders", "id", "s.totals", "id", "join")}


@pytest.mark.parametrize(("filters", "expected"), [
    ({"table": "totals"}, {"s.orders", "s.totals", "RS-2", "Query Insert-1"}),
    ({"table": "RS-2"}, {"s.totals", "RS-2"}),
    ({"schema": "S", "table": "orders"}, {"s.orders", "s.totals", "Query Insert-1"}),
    ({"column": "total"}, {"s.orders", "s.totals", "RS-2", "Query Insert-1"}),
    ({"schema": "nope"}, set()),
])
def test_filters_keep_the_relationships_of_the_chosen_objects(filters, expected):
    view = apply_view(MODEL, ViewOptions(**filters))
    assert names(view) == expected


def test_settings_read_from_request_fields():
    fields = {"showRelationType": " FDD, fdr ", "ignoreRecordSet": "false", "table": "t"}
    options = ViewOptions.from_fields(fields.get, lambda name, default: fields.get(name, str(default)) == "true")
    assert options == ViewOptions(frozenset({"fdd", "fdr"}), False, False, False, None, None, "t", None)
    assert ViewOptions.from_fields({}.get, lambda name, default: default) == ViewOptions()
    with pytest.raises(ViewError, match="unknown types 'flow': use a comma list of fdd, fdr"):
        ViewOptions.from_fields({"showRelationType": "fdd,flow"}.get, lambda name, default: default)
    assert ViewOptions().key != ViewOptions(table="t").key


def test_an_unknown_type_with_a_line_break_is_named_on_one_line():
    with pytest.raises(ViewError) as caught:
        ViewOptions.from_fields({"showRelationType": "fdd,a\r\nb"}.get, lambda name, default: default)
    assert "\n" not in str(caught.value) and "'a\\r\\nb'" in str(caught.value)


def test_summary_counts_and_most_related_tables():
    counted = summary(MODEL["data"]["sqlflow"]["dbobjs"], MODEL["data"]["sqlflow"]["relationships"])
    assert {k: counted[k] for k in ("table", "view", "schema", "relationship", "process")} == {
        "table": 2, "view": 0, "schema": 1, "relationship": 7, "process": 1}
    assert counted["mostRelationTables"] == [{"schema": "s", "table": "orders"}, {"schema": "s", "table": "totals"}]
