"""File paths (``flows/paths.py``) are ``path`` objects at their literal, and an UNLOAD's quoted query keeps
its names' places in the file."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import LineageResult, Span, SqlSource, analyze
from sqlflow_magic.server.lineage.model import DbObject

pytestmark = pytest.mark.unit


def _object(result: LineageResult, name: str) -> DbObject:
    [obj] = [o for o in result.dbobjs if o.name == name]
    return obj


def _span(obj: DbObject) -> tuple[int, int, int, int]:
    span: Span = obj.coordinates[0]
    return span.start_line, span.start_column, span.end_line, span.end_column


def test_unload_path_and_quoted_query_names_keep_their_coordinates() -> None:
    sql = "UNLOAD ('SELECT id FROM sales.orders') TO 's3://b/o_' IAM_ROLE 'r'"
    result = analyze([SqlSource("q.sql", sql)], "dbvredshift")
    assert _object(result, "'s3://b/o_'").type == "path"
    assert _span(_object(result, "'s3://b/o_'")) == (1, 43, 1, 54)
    assert _span(_object(result, "orders")) == (1, 25, 1, 37)
    assert result.errors == []


def test_unload_of_a_query_with_doubled_quotes_has_lineage_without_inner_coordinates() -> None:
    sql = "UNLOAD ('SELECT id FROM orders WHERE s = ''x''') TO 's3://b/' IAM_ROLE 'r'"
    result = analyze([SqlSource("q.sql", sql)], "dbvredshift")
    assert _object(result, "orders").coordinates == []
    assert [p.effect_type for p in result.processes] == ["insert"]


def test_copy_source_path_sits_at_its_literal_without_the_default_schema() -> None:
    result = analyze([SqlSource("q.sql", "COPY t FROM '/data/t.csv'")], "dbvpostgresql", default_schema="public")
    path = _object(result, "'/data/t.csv'")
    assert (path.type, path.schema, _span(path)) == ("path", None, (1, 13, 1, 26))
    assert _object(result, "t").schema == "public"
