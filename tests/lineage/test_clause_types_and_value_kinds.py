"""``clauseType`` on row-deciding sources, ``valueKind`` and ``dependency`` on value flows, in the JSON and
in the client's reader (``docs/engine.md#clause-types-and-value-kinds``)."""

from __future__ import annotations

import pytest

from sqlflow_magic.lineage_json.shapes import read_payload
from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json

pytestmark = pytest.mark.unit

SQL = "INSERT INTO dw.pay (id, total) SELECT e.id, sum(e.salary) FROM hr.emp e WHERE e.active GROUP BY e.id"


def _answer() -> dict:
    return to_sqlflow_json(analyze([SqlSource("pay.sql", SQL)], "dbvpostgresql"), job_id="j")


def _sources(payload, relation_type: str, column: str) -> dict[str, tuple[str, str]]:
    return {
        source.column: (source.clause_type, source.value_kind)
        for rel in payload.relationships
        if rel.type == relation_type and rel.target.column == column
        for source in rel.sources
    }


def test_the_json_says_which_clause_decides_rows_and_how_values_are_made() -> None:
    relationships = _answer()["data"]["sqlflow"]["relationships"]
    total_fdd = next(r for r in relationships if r["type"] == "fdd" and r["target"]["column"] == "total")
    total_fdr = next(r for r in relationships if r["type"] == "fdr" and r["target"]["column"] == "total")
    assert [(s["column"], s["valueKind"]) for s in total_fdd["sources"]] == [("salary", "aggregation")]
    assert total_fdd["dependency"] == "function"
    assert {s["column"]: s["clauseType"] for s in total_fdr["sources"]} == {"active": "where", "id": "groupBy"}
    assert "dependency" not in total_fdr and all("valueKind" not in s for s in total_fdr["sources"])


def test_the_reader_keeps_clause_types_value_kinds_and_dependency() -> None:
    payload = read_payload(_answer())
    assert _sources(payload, "fdd", "id") == {"id": ("", "identity")}
    assert _sources(payload, "fdr", "id") == {"active": ("where", ""), "id": ("groupBy", "")}
    assert {rel.dependency for rel in payload.relationships if rel.type == "fdd"} == {"simple", "function"}


def test_an_answer_without_them_still_reads() -> None:
    """Real SQLFlow answers carry ``clauseType`` on some ``fdr`` sources only, and no ``valueKind``."""
    end = {"id": "3", "column": "sal", "parentId": "2", "parentName": "scott.emp", "coordinates": []}
    vendor = {
        "code": 200,
        "data": {
            "sqlflow": {
                "dbvendor": "dbvoracle",
                "dbobjs": [],
                "relationships": [
                    {
                        "id": "9",
                        "type": "fdd",
                        "effectType": "select",
                        "target": {"id": "5", "column": "sal", "parentId": "4", "parentName": "RS-1"},
                        "sources": [end],
                    },
                    {
                        "id": "10",
                        "type": "fdr",
                        "effectType": "select",
                        "target": {"id": "6", "column": "PseudoRows", "parentId": "4", "parentName": "RS-1"},
                        "sources": [{**end, "clauseType": "where"}],
                    },
                ],
            }
        },
    }
    payload = read_payload(vendor)
    assert _sources(payload, "fdd", "sal") == {"sal": ("", "")}
    assert _sources(payload, "fdr", "PseudoRows") == {"sal": ("where", "")}
    assert [rel.dependency for rel in payload.relationships] == ["", ""]


def test_an_ambiguous_column_is_linked_to_the_first_table_and_the_hint_names_it() -> None:
    """As SQLFlow says it: ``Link orphan column [TerritoryID] to the first table [Sales.SalesPerson s]``."""
    result = analyze([SqlSource("q.sql", "SELECT region FROM sales.orders o, sales.customers c")], "dbvpostgresql")
    assert [(r.sources[0].parent_name, r.sources[0].column) for r in result.relationships if r.type == "fdd"] == [
        ("sales.orders", "region")
    ]
    hints = [e.message for e in result.errors if e.error_type == "LinkOrphanColumn"]
    assert len(hints) == 1 and "column region could belong to several tables" in hints[0]
    assert "linked to the first, sales.orders" in hints[0]
