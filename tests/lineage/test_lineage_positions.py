"""Coordinates (1-based line/column, exclusive end) and display names in their original spelling."""

from __future__ import annotations

import random

import pytest

from sqlflow_magic.server.lineage import LineageResult, Span, SqlSource, analyze
from sqlflow_magic.server.lineage.input.scanning import LineIndex
from tests.support.lineage_objects import first_span, object_named

pytestmark = pytest.mark.unit

STATEMENT = "INSERT INTO dbo.T (a)\nSELECT s.x\nFROM dbo.S s WHERE s.k = 1;\n"




def _check_statement_at(result: LineageResult, first_line: int) -> None:
    line = first_line
    assert first_span(object_named(result, "T")) == (line, 13, line, 18)  # "dbo.T"
    assert first_span(object_named(result, "T"), "a") == (line, 20, line, 21)
    assert first_span(object_named(result, "S"), "x") == (line + 1, 8, line + 1, 11)  # "s.x"
    assert first_span(object_named(result, "S")) == (line + 2, 6, line + 2, 11)  # "dbo.S"
    assert first_span(object_named(result, "S"), "k") == (line + 2, 20, line + 2, 23)
    [process] = [p for p in result.processes if p.effect_type == "insert"]
    assert (process.span.start_line, process.span.start_column) == (line, 1)
    assert (process.span.end_line, process.span.end_column) == (line + 2, 27)


def test_coordinates_of_objects_columns_and_statement() -> None:
    result = analyze([SqlSource("q.sql", "-- header\n" + STATEMENT)], "dbvmssql")
    _check_statement_at(result, 2)
    relationship = next(r for r in result.relationships if r.type == "fdd")
    assert relationship.target.coordinates[0] == Span(2, 20, 2, 21)
    assert relationship.sources[0].coordinates[0] == Span(3, 8, 3, 11)


def test_coordinates_after_go_batches() -> None:
    script = "SELECT 1 AS one\nGO\nPRINT 'x'\nGO\n" + STATEMENT
    _check_statement_at(analyze([SqlSource("q.sql", script)], "dbvmssql"), 5)


def test_coordinates_after_a_large_prefix() -> None:
    filler = "".join(f"SELECT c{i} FROM filler_{i};\n" for i in range(4000))
    assert len(filler) > 64 * 1024  # crosses a tokenizer piece boundary
    result = analyze([SqlSource("q.sql", filler + STATEMENT)], "dbvmssql")
    _check_statement_at(result, 4001)


def test_coordinates_after_a_command_without_semicolon() -> None:
    result = analyze([SqlSource("q.sql", "PRINT 'loading'\n" + STATEMENT)], "dbvmssql")
    _check_statement_at(result, 2)


def test_coordinates_of_a_rewritten_replace() -> None:
    result = analyze(
        [SqlSource("q.sql", "\nREPLACE\n  INTO shop.cache (id)\nSELECT i.id FROM shop.items i;")], "dbvmysql"
    )
    assert first_span(object_named(result, "cache")) == (3, 8, 3, 18)
    assert first_span(object_named(result, "cache"), "id") == (3, 20, 3, 22)
    assert first_span(object_named(result, "items"), "id") == (4, 8, 4, 12)


def test_errors_carry_file_and_position() -> None:
    files = [SqlSource("one.sql", "SELECT a FROM t;"), SqlSource("two.sql", "\n\n  SELECT FROM WHERE;")]
    [error] = analyze(files, "dbvpostgresql").errors
    assert error.file_name == "two.sql"
    assert (error.span.start_line, error.span.start_column) == (3, 15)


def test_display_names_keep_their_first_spelling() -> None:
    script = (
        "insert into Sales.Orders_Copy (OrderId, Amount) select o.OrderId, o.Amount from Sales.ORDERS o;\n"
        "select orderid, AMOUNT from sales.orders;\n"
    )
    result = analyze([SqlSource("q.sql", script)], "dbvsnowflake")
    orders = [o for o in result.dbobjs if o.name.upper() == "ORDERS"]
    assert len(orders) == 1, "one object whatever the case of its name"
    assert (orders[0].schema, orders[0].name) == ("Sales", "ORDERS")
    assert [c.name for c in orders[0].columns] == ["OrderId", "Amount"]
    assert [c.name for c in object_named(result, "Orders_Copy").columns] == ["OrderId", "Amount"]
    assert [c.name for c in object_named(result, "RS-1").columns] == ["orderid", "AMOUNT"]


def test_quoted_names_are_case_sensitive_in_postgres() -> None:
    result = analyze(
        [SqlSource("q.sql", 'SELECT a FROM "Orders"; SELECT a FROM orders; SELECT a FROM ORDERS;')], "dbvpostgresql"
    )
    names = sorted(o.name for o in result.dbobjs if o.type == "table")
    assert names == ["Orders", "orders"]


def test_columns_bound_to_the_only_source_keep_their_own_coordinates() -> None:
    # With a subquery present, unqualified columns are bound to their only source before qualifying:
    # the qualifier added for that must not stretch the column's span to the table or its alias.
    for source in ("t AS a", "t"):
        sql = f"INSERT INTO o SELECT x, (SELECT max(z) FROM u AS b) AS m FROM {source}"
        result = analyze([SqlSource("q.sql", sql)], "dbvpostgresql")
        spans = {s.column: s.coordinates for r in result.relationships for s in r.sources}
        assert spans["x"] == (Span(1, 22, 1, 23),), source
        assert spans["z"] == (Span(1, 37, 1, 38),), source


def test_line_index_span_is_its_two_points() -> None:
    chooser = random.Random(7)
    text = "".join(chooser.choice("ab\n") for _ in range(2000)) + "\n"
    lines = LineIndex(text)
    for _ in range(5000):
        start = chooser.randrange(len(text) + 1)
        end = chooser.randrange(start, len(text) + 1)
        assert lines.span(start, end) == Span(*lines.point(start), *lines.point(end)), (start, end)
