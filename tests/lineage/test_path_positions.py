"""File paths (``flows/paths.py``) are ``path`` objects at their literal, and an UNLOAD's quoted query keeps
its names' places in the file."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import SqlSource, analyze
from tests.support.lineage_objects import first_span, object_named

pytestmark = pytest.mark.unit




def test_unload_path_and_quoted_query_names_keep_their_coordinates() -> None:
    sql = "UNLOAD ('SELECT id FROM sales.orders') TO 's3://b/o_' IAM_ROLE 'r'"
    result = analyze([SqlSource("q.sql", sql)], "dbvredshift")
    assert object_named(result, "'s3://b/o_'").type == "path"
    assert first_span(object_named(result, "'s3://b/o_'")) == (1, 43, 1, 54)
    assert first_span(object_named(result, "orders")) == (1, 25, 1, 37)
    assert result.errors == []


def test_unload_of_a_query_with_doubled_quotes_has_lineage_without_inner_coordinates() -> None:
    sql = "UNLOAD ('SELECT id FROM orders WHERE s = ''x''') TO 's3://b/' IAM_ROLE 'r'"
    result = analyze([SqlSource("q.sql", sql)], "dbvredshift")
    assert object_named(result, "orders").coordinates == []
    assert [p.effect_type for p in result.processes] == ["insert"]


def test_copy_source_path_sits_at_its_literal_without_the_default_schema() -> None:
    result = analyze([SqlSource("q.sql", "COPY t FROM '/data/t.csv'")], "dbvpostgresql", default_schema="public")
    path = object_named(result, "'/data/t.csv'")
    assert (path.type, path.schema, first_span(path)) == ("path", None, (1, 13, 1, 26))
    assert object_named(result, "t").schema == "public"
