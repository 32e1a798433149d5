"""Statements read through a token rewrite or from a command's text keep their names' coordinates."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import SqlSource, analyze
from tests.support.lineage_objects import first_span, object_named

pytestmark = pytest.mark.unit




def test_backticked_athena_names_keep_their_coordinates() -> None:
    result = analyze([SqlSource("q.sql", "SELECT 1;\nSELECT `e`.`id` FROM `lake`.`events` `e`;")], "dbvathena")
    assert first_span(object_named(result, "events")) == (2, 22, 2, 37)
    assert first_span(object_named(result, "events"), "id") == (2, 8, 2, 16)


def test_compound_assignment_keeps_coordinates_and_is_reported() -> None:
    sql = "UPDATE t\n   SET t.total += s.amount FROM dbo.totals t JOIN dbo.sales s ON s.id = t.id"
    result = analyze([SqlSource("q.sql", sql)], "dbvmssql")
    assert first_span(object_named(result, "totals"), "total") == (2, 10, 2, 15)
    assert first_span(object_named(result, "sales"), "amount") == (2, 19, 2, 27)
    assert [e.error_type for e in result.errors] == ["Rewritten"]


def test_exchange_partition_names_keep_their_coordinates() -> None:
    sql = "SELECT 1 FROM dual;\n  ALTER TABLE dw.sales EXCHANGE PARTITION p1 WITH TABLE dw.sales_load;"
    result = analyze([SqlSource("q.sql", sql)], "dbvoracle")
    assert first_span(object_named(result, "sales")) == (2, 15, 2, 23)
    assert first_span(object_named(result, "sales_load")) == (2, 57, 2, 70)
    assert result.errors == []


def test_vertica_partition_function_names_point_inside_the_quotes() -> None:
    sql = "SELECT swap_partitions_between_tables('stage.load', '1', '9', 'public.sales')"
    result = analyze([SqlSource("q.sql", sql)], "dbvvertica")
    assert first_span(object_named(result, "load")) == (1, 40, 1, 50)
    assert first_span(object_named(result, "sales")) == (1, 64, 1, 76)


def test_compound_assignment_of_a_variable_is_no_syntax_error() -> None:
    result = analyze([SqlSource("q.sql", "DECLARE @n INT = 0;\nSET @n += 1;")], "dbvmssql")
    assert [e.error_type for e in result.errors] == ["Rewritten"]
