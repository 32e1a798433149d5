"""The first pass: the job's own CREATE TABLE/VIEW statements give the columns, wherever they are in the job."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import SqlSource, analyze

pytestmark = pytest.mark.unit


def test_a_star_is_expanded_from_ddl_in_a_later_file() -> None:
    files = [SqlSource("etl.sql", "INSERT INTO rpt.copy SELECT * FROM stage.src;"),
             SqlSource("ddl.sql", "CREATE TABLE stage.src (id INT, name TEXT);")]
    result = analyze(files, "dbvpostgresql")
    target = next(obj for obj in result.dbobjs if obj.name == "copy")
    assert [column.name for column in target.columns] == ["id", "name"]


def test_an_unqualified_column_is_placed_by_a_view_created_later() -> None:
    sql = (
        "INSERT INTO rpt.amounts (amount) SELECT amount FROM stage.orders o JOIN stage.v2 w ON o.id = w.order_id;\n"
        "CREATE VIEW stage.v2 AS SELECT order_id, amount FROM stage.raw;"
    )
    result = analyze([SqlSource("a.sql", sql)], "dbvpostgresql")
    [insert] = [r for r in result.relationships if r.type == "fdd" and r.target.parent_name == "rpt.amounts"]
    assert [(source.parent_name, source.column) for source in insert.sources] == [("stage.v2", "amount")]
