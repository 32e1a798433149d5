"""Export shapes: lineage JSON (checked against a JSON Schema written from the API page), CSV, GraphML.

Each export is a view of the complete lineage; here with every relationship type, so that the
analysis shows whole (the views themselves are tested in tests/server/test_views.py).
"""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import networkx as nx
import pytest

from sqlflow_magic.server.exports import CSV_HEADER, ViewOptions, apply_view, csv_text, generation_answer, graphml_text
from sqlflow_magic.server.exports.views import RELATION_TYPES
from sqlflow_magic.server.lineage import LineageResult, SqlSource, analyze, to_sqlflow_json

pytestmark = pytest.mark.unit

EVERYTHING = ViewOptions(relation_types=frozenset(RELATION_TYPES))


def to_csv(result: LineageResult, delimiter: str = ",", table_level: bool = False) -> str:
    return csv_text(apply_view(to_sqlflow_json(result, table_level=table_level), EVERYTHING), delimiter)


def to_graphml(result: LineageResult, table_level: bool = False) -> str:
    return graphml_text(apply_view(to_sqlflow_json(result, table_level=table_level), EVERYTHING))


def generation_response(result: LineageResult) -> dict:
    answer = apply_view(to_sqlflow_json(result), EVERYTHING)
    return generation_answer({**answer, "sessionId": "s"}, with_graph=False)

EFFECT_TYPES = [
    "select", "insert", "update", "merge_update", "merge_insert", "create_view", "create_table", "merge",
    "delete", "function", "rename_table", "swap_table", "like_table", "cursor", "trigger",
]  # fmt: skip

_COORDINATE = {
    "type": "object",
    "required": ["x", "y", "hashCode"],
    "properties": {
        "x": {"type": "integer", "minimum": 1},
        "y": {"type": "integer", "minimum": 1},
        "hashCode": {"const": "0"},
    },
    "additionalProperties": False,
}
_COORDINATES = {"type": "array", "items": _COORDINATE}
_ID = {"type": "string", "pattern": "^[0-9]+$"}
_COLUMN_REF = {
    "type": "object",
    "required": ["id", "column", "parentId", "parentName", "coordinates"],
    "properties": {
        "id": _ID,
        "column": {"type": "string", "minLength": 1},
        "parentId": _ID,
        "parentName": {"type": "string", "minLength": 1},
        "clauseType": {"enum": ["where", "joinCondition", "groupBy", "having", "qualify", "connectBy", "window",
                                "except"]},
        "valueKind": {"enum": ["identity", "transformation", "aggregation"]},
        "coordinates": _COORDINATES,
    },
    "additionalProperties": False,
}
_SQLFLOW = {
    "type": "object",
    "required": ["dbvendor", "dbobjs", "relationships", "errors"],
    "properties": {
        "dbvendor": {"type": "string", "pattern": "^dbv"},
        "dbobjs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "type", "columns", "coordinates"],
                "properties": {
                    "id": _ID,
                    "name": {"type": "string", "minLength": 1},
                    "type": {"enum": ["table", "view", "select_list", "insert-select", "process", "procedure",
                                      "function", "trigger"]},
                    "procedureName": {"type": "string", "minLength": 1},
                    "arguments": {"type": "array"},
                    "database": {"type": "string"},
                    "schema": {"type": "string"},
                    "columns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "name", "coordinates"],
                            "properties": {"id": _ID, "name": {"type": "string"}, "coordinates": _COORDINATES},
                            "additionalProperties": False,
                        },
                    },
                    "coordinates": _COORDINATES,
                },
                "additionalProperties": False,
            },
        },
        "relationships": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "effectType", "target", "sources"],
                "properties": {
                    "id": _ID,
                    "type": {"enum": ["fdd", "fdr", "join", "call"]},
                    "effectType": {"enum": EFFECT_TYPES},
                    "processId": _ID,
                    "dependency": {"enum": ["simple", "function", "expression"]},
                    "target": _COLUMN_REF,
                    "sources": {"type": "array", "minItems": 1, "items": _COLUMN_REF},
                },
                "additionalProperties": False,
            },
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["errorMessage", "errorType", "coordinates"],
                "properties": {
                    "errorMessage": {"type": "string"},
                    "errorType": {"type": "string"},
                    "coordinates": _COORDINATES,
                    "fileName": {"type": "string"},
                },
            },
        },
    },
}
_SUMMARY_KEYS = ["database", "schema", "table", "view", "column", "relationship", "process"]
LINEAGE_JSON_SCHEMA = {
    "type": "object",
    "required": ["code", "data", "sessionId", "jobId"],
    "properties": {
        "code": {"enum": [200, 203]},
        "error": {"type": "string"},
        "jobId": {"type": ["string", "null"]},
        "sessionId": {"type": "string", "pattern": "^[0-9a-f]{64}_[0-9]+$"},
        "data": {
            "type": "object",
            "required": ["mode", "summary", "sqlflow", "graph"],
            "properties": {
                "mode": {"const": "global"},
                "summary": {
                    "type": "object",
                    "required": _SUMMARY_KEYS,
                    "properties": {key: {"type": "integer", "minimum": 0} for key in _SUMMARY_KEYS},
                },
                "sqlflow": _SQLFLOW,
                "graph": {
                    "type": "object",
                    "required": ["elements", "tooltip", "relationshipIdMap", "listIdMap"],
                    "properties": {
                        "elements": {
                            "type": "object",
                            "required": ["tables", "edges"],
                            "properties": {"tables": {"type": "array"}, "edges": {"type": "array"}},
                        }
                    },
                },
            },
        },
    },
}

SCRIPT = """-- a small warehouse load
CREATE TABLE sales.Orders (OrderId INT, CustomerId INT, Amount DECIMAL(10, 2), Status VARCHAR(10));
INSERT INTO rpt.CustomerTotals (CustomerId, Total)
SELECT o.CustomerId, SUM(o.Amount) FROM sales.Orders o WHERE o.Status = 'PAID' GROUP BY o.CustomerId;
CREATE VIEW rpt.BigCustomers AS SELECT CustomerId FROM rpt.CustomerTotals WHERE Total > 1000;
SELECT * FROM sales.Orders;
DELETE FROM sales.Orders WHERE Status = 'VOID';
SELECT FROM WHERE;
"""


@pytest.fixture(scope="module")
def result() -> LineageResult:
    return analyze([SqlSource("load.sql", SCRIPT)], "dbvmssql", default_database="dw")


@pytest.mark.parametrize("table_level", [False, True], ids=["column-level", "table-level"])
def test_json_export_matches_schema(result: LineageResult, table_level: bool) -> None:
    document = to_sqlflow_json(result, job_id="c359aef4bd9641d697732422debd8055", table_level=table_level)
    jsonschema.validate(document, LINEAGE_JSON_SCHEMA)
    assert json.loads(json.dumps(document)) == document
    assert document["jobId"] == "c359aef4bd9641d697732422debd8055"


@pytest.mark.parametrize("table_level", [False, True], ids=["column-level", "table-level"])
def test_json_references_resolve(result: LineageResult, table_level: bool) -> None:
    sqlflow = to_sqlflow_json(result, table_level=table_level)["data"]["sqlflow"]
    objects = {obj["id"]: obj for obj in sqlflow["dbobjs"]}
    columns = {column["id"]: (obj["id"], column["name"]) for obj in sqlflow["dbobjs"] for column in obj["columns"]}
    ids = [obj["id"] for obj in sqlflow["dbobjs"]] + list(columns) + [rel["id"] for rel in sqlflow["relationships"]]
    assert len(ids) == len(set(ids)), "ids are unique across objects, columns and relationships"
    for rel in sqlflow["relationships"]:
        assert objects[rel["processId"]]["type"] == "process"
        for ref in [rel["target"], *rel["sources"]]:
            assert columns[ref["id"]] == (ref["parentId"], ref["column"])
            assert objects[ref["parentId"]]["name"] == ref["parentName"]
            if table_level:
                assert ref["column"] == "TABLE"


def test_json_content(result: LineageResult) -> None:
    document = to_sqlflow_json(result)
    assert document["code"] == 203 and "Syntax error" in document["error"]  # SQLFlow's partial success
    data = document["data"]
    tables = {obj["name"]: obj for obj in data["sqlflow"]["dbobjs"]}
    # named as qualified in the SQL, the database (a default here) and schema beside
    assert tables["sales.Orders"] == {**tables["sales.Orders"], "database": "dw", "schema": "sales", "type": "table"}
    assert tables["rpt.BigCustomers"]["type"] == "view"
    assert tables["RS-1"]["type"] == "select_list"
    assert [c["name"] for c in tables["RS-1"]["columns"]] == ["OrderId", "CustomerId", "Amount", "Status"]
    assert data["summary"]["view"] == 1 and data["summary"]["process"] == 5
    assert data["summary"]["database"] == 1 and data["summary"]["schema"] == 2
    assert [e["errorType"] for e in data["sqlflow"]["errors"]] == ["SyntaxError"]
    effects = {rel["effectType"] for rel in data["sqlflow"]["relationships"]}
    assert effects == {"insert", "create_view", "select", "delete"}


def test_table_level_json(result: LineageResult) -> None:
    relationships = to_sqlflow_json(result, table_level=True)["data"]["sqlflow"]["relationships"]
    pairs = {(r["sources"][0]["parentName"], r["target"]["parentName"], r["type"]) for r in relationships}
    assert pairs == {
        ("sales.Orders", "rpt.CustomerTotals", "fdd"),
        ("rpt.CustomerTotals", "rpt.BigCustomers", "fdd"),
        ("sales.Orders", "RS-1", "fdd"),
    }


def test_json_is_deterministic() -> None:
    first = analyze([SqlSource("load.sql", SCRIPT)], "dbvmssql")
    second = analyze([SqlSource("load.sql", SCRIPT)], "dbvmssql")
    assert to_sqlflow_json(first, "j", now_ms=1) == to_sqlflow_json(second, "j", now_ms=1)


def test_generation_response(result: LineageResult) -> None:
    answer = generation_response(result)
    assert answer["code"] == 203 and "Syntax error" in answer["error"]
    jsonschema.validate(
        {
            "dbvendor": answer["data"]["dbvendor"],
            **{k: answer["data"][k] for k in ("dbobjs", "relationships", "errors")},
        },
        _SQLFLOW,
    )
    clean = generation_response(analyze([SqlSource("q.sql", "SELECT a FROM t")], "dbvoracle"))
    assert clean["code"] == 200 and "error" not in clean
    assert set(clean["data"]) >= {"dbvendor", "dbobjs", "relationships", "errors"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_export(result: LineageResult, delimiter: str) -> None:
    text = to_csv(result, delimiter=delimiter)
    assert text.splitlines()[0] == CSV_HEADER.replace(",", delimiter)
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    assert rows and all(len(row) == 10 for row in rows)
    totals = [r for r in rows if r["target_table"] == "CustomerTotals" and r["target_column"] == "Total"]
    assert {
        (r["source_db"], r["source_schema"], r["source_table"], r["source_column"], r["relation_type"]) for r in totals
    } == {
        ("dw", "sales", "Orders", "Amount", "fdd"),
        ("dw", "sales", "Orders", "Status", "fdr"),
        ("dw", "sales", "Orders", "CustomerId", "fdr"),
    }
    assert all(r["effect_type"] == "insert" for r in totals)
    result_set = [r for r in rows if r["target_table"] == "RS-1"]
    assert {(r["target_db"], r["target_schema"]) for r in result_set} == {("DEFAULT", "DEFAULT")}


def test_csv_table_level_and_default_names() -> None:
    result = analyze([SqlSource("q.sql", "INSERT INTO t SELECT a FROM s WHERE b > 0")], "dbvpostgresql")
    rows = list(csv.reader(io.StringIO(to_csv(result, table_level=True))))
    assert rows == [
        CSV_HEADER.split(","),
        ["DEFAULT", "DEFAULT", "s", "TABLE", "DEFAULT", "DEFAULT", "t", "TABLE", "fdd", "insert"],
    ]
    with pytest.raises(ValueError, match="single character"):
        to_csv(result, delimiter="::")


def test_files_and_locations_are_stores_in_the_csv_and_nodes_in_graphml() -> None:
    sql = "COPY sales.orders FROM 's3://bucket/orders.csv' CSV;\nINSERT OVERWRITE DIRECTORY '/tmp/out' SELECT a FROM t"
    result = analyze([SqlSource("load.sql", sql)], "dbvpostgresql")
    view = apply_view(to_sqlflow_json(result, table_level=True), EVERYTHING)
    plain_csv = csv.DictReader(io.StringIO(csv_text(view, stores_only=True)))
    rows = {(row["source_table"], row["target_table"]) for row in plain_csv}
    assert rows == {("'s3://bucket/orders.csv'", "orders"), ("t", "'/tmp/out'")}
    graph = nx.read_graphml(io.StringIO(to_graphml(result, table_level=True)))
    assert sorted(data["kind"] for _, data in graph.nodes(data=True)) == ["path", "path", "table", "table"]


def test_graphml_column_level(result: LineageResult) -> None:
    graph = nx.read_graphml(io.StringIO(to_graphml(result)))
    labels = {node: data["label"] for node, data in graph.nodes(data=True)}
    by_label = {label: node for node, label in labels.items()}
    edge = graph.get_edge_data(by_label["sales.Orders.Amount"], by_label["rpt.CustomerTotals.Total"])
    kinds = {data["relation_type"] for data in (edge.values() if graph.is_multigraph() else [edge])}
    assert kinds == {"fdd"}
    assert graph.nodes[by_label["sales.Orders"]]["kind"] == "table"
    assert graph.nodes[by_label["sales.Orders.Amount"]]["parent"] == "dw.sales.Orders"
    assert "Query Insert-2" not in by_label, "processes are not graph nodes"


def test_graphml_table_level(result: LineageResult) -> None:
    graph = nx.read_graphml(io.StringIO(to_graphml(result, table_level=True)))
    labels = {node: data["label"] for node, data in graph.nodes(data=True)}
    edges = {(labels[a], labels[b], d["relation_type"], d["effect_type"]) for a, b, d in graph.edges(data=True)}
    assert edges == {
        ("sales.Orders", "rpt.CustomerTotals", "fdd", "insert"),
        ("rpt.CustomerTotals", "rpt.BigCustomers", "fdd", "create_view"),
        ("sales.Orders", "RS-1", "fdd", "select"),
    }


def test_graphml_escapes_odd_names() -> None:
    sql = 'INSERT INTO "a<b>&c" ("x""y") SELECT "q&r" FROM "s<t>"'
    graph = nx.read_graphml(io.StringIO(to_graphml(analyze([SqlSource("q.sql", sql)], "dbvpostgresql"))))
    assert {"a<b>&c", "s<t>", 'a<b>&c.x"y', "s<t>.q&r"} <= {d["label"] for _, d in graph.nodes(data=True)}
