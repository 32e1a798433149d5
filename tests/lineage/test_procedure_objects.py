"""Routine objects as SQLFlow emits them, and the client's reader and picture taking them in stride."""

from __future__ import annotations

import pytest

from sqlflow_magic.display.lineage_view import LineageView
from sqlflow_magic.lineage_json import read_lineage
from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.export import to_sqlflow_json

pytestmark = pytest.mark.unit

SQL = """\
CREATE PROCEDURE dbo.load_sales AS
BEGIN
  INSERT INTO dbo.sales_hist (id, amount) SELECT id, amount FROM dbo.sales;
END
GO
INSERT INTO dbo.copy SELECT id FROM dbo.sales_hist
"""


@pytest.fixture(scope="module")
def answer() -> dict:
    return to_sqlflow_json(analyze([SqlSource("load.sql", SQL)], "dbvmssql"), "job")


def _objects(answer: dict, object_type: str) -> list[dict]:
    return [o for o in answer["data"]["sqlflow"]["dbobjs"] if o["type"] == object_type]


def test_a_procedure_is_an_object_at_its_name(answer: dict) -> None:
    [procedure] = _objects(answer, "procedure")
    assert {k: procedure[k] for k in ("name", "schema", "arguments")} == {
        "name": "dbo.load_sales", "schema": "dbo", "arguments": []}
    assert procedure["coordinates"] == [{"x": 1, "y": 18, "hashCode": "0"}, {"x": 1, "y": 32, "hashCode": "0"}]


def test_each_process_names_its_procedure_or_batch_queries(answer: dict) -> None:
    assert [p["procedureName"] for p in _objects(answer, "process")] == ["dbo.load_sales", "batchQueries"]


def test_the_reader_draws_tables_not_routines(answer: dict) -> None:
    graph = read_lineage(answer)
    assert sorted(t.name for t in graph.tables) == ["dbo.copy", "dbo.sales", "dbo.sales_hist"]
    assert graph.notes == ("Not drawn as boxes (routines, not data stores): 1 procedure.",)


def test_the_picture_draws_a_procedure_job(answer: dict) -> None:
    svg = LineageView(answer).svg()
    assert "dbo.sales_hist" in svg and "load_sales" not in svg


def test_a_statement_of_a_body_read_whole_has_its_own_position(answer: dict) -> None:
    line = SQL.splitlines()[2]  # "  INSERT INTO dbo.sales_hist ... FROM dbo.sales;"
    [insert, _] = _objects(answer, "process")
    assert insert["coordinates"] == [{"x": 3, "y": 3, "hashCode": "0"}, {"x": 3, "y": len(line), "hashCode": "0"}]
