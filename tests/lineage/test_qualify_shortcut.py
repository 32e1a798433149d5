"""The qualification shortcut (``shortcut.py``) must leave every query exactly as the full qualification does."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlglot.optimizer.scope import Scope

from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.analysis import analyzer, rewriting
from sqlflow_magic.server.lineage.model import Relationship

pytestmark = pytest.mark.unit

CORPUS = Path(__file__).parent / "corpus"
EXTRA = [
    ("dbvpostgresql", 'INSERT INTO t2 (a) SELECT id FROM orders AS "O" WHERE id IN (SELECT x FROM y)'),
    ("dbvpostgresql", "SELECT a AS b, b + 1 AS c FROM t GROUP BY b"),
    ("dbvpostgresql", "SELECT a, COUNT(*) FROM t GROUP BY 1 ORDER BY 2"),
    ("dbvpostgresql", "WITH r AS (SELECT Id, name FROM t) SELECT r.ID, name FROM r"),
    ("dbvpostgresql", "SELECT x.* FROM (SELECT a, b FROM t) x JOIN u ON u.a = x.a"),
    ("dbvpostgresql", "SELECT a FROM t JOIN u USING (id)"),
    ("dbvpostgresql", "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE id = t.id)"),
    ("dbvpostgresql", "SELECT a FROM t, u WHERE b IN (SELECT c FROM v, w)"),
    ("dbvpostgresql", "SELECT a, (SELECT MAX(b) FROM u WHERE u.k = t.k) FROM t"),
    ("dbvpostgresql", "SELECT a FROM t UNION SELECT b FROM u ORDER BY 1"),
    ("dbvpostgresql", "SELECT a FROM t UNION SELECT b FROM u UNION ALL SELECT c FROM v"),
    ("dbvpostgresql", "(SELECT a FROM t) UNION (SELECT b FROM u)"),
    ("dbvpostgresql", "SELECT a FROM t UNION SELECT b FROM (SELECT b FROM u) x"),
    ("dbvpostgresql", "WITH c AS (SELECT a FROM t) SELECT a FROM c UNION SELECT b FROM u"),
    ("dbvpostgresql", "SELECT a FROM t WHERE a IN (SELECT b FROM u UNION SELECT c FROM v)"),
    ("dbvpostgresql", "SELECT a FROM t INTERSECT SELECT a FROM u EXCEPT SELECT a FROM v"),
    ("dbvpostgresql", "INSERT INTO w SELECT a, 1 FROM t UNION ALL SELECT * FROM u"),
    ("dbvoracle", "SELECT ROWNUM, a FROM t WHERE a IN (SELECT b FROM u)"),
    ("dbvoracle", "SELECT t.a, 1 FROM t CROSS JOIN dual WHERE t.b IN (SELECT c FROM u, DUAL)"),
    ("dbvmysql", "SELECT 'x', NOW() FROM DUAL"),
    ("dbvsnowflake", "SELECT a + 1 AS x, x * 2 AS y FROM t"),
    ("dbvmssql", "SELECT [Order Id], o.Name FROM dbo.Orders o WHERE o.Id IN (SELECT OrderId FROM dbo.Lines)"),
    ("dbvpostgresql", "SELECT a + 1, b, 'x' FROM t GROUP BY 1, 2, 3"),
    ("dbvpostgresql", "SELECT a, b FROM t GROUP BY 3"),
    ("dbvpostgresql", "SELECT a, COUNT(*) FROM t WHERE b IN (SELECT c FROM u GROUP BY 1) GROUP BY 1"),
    ("dbvbigquery", "SELECT DATE(ts), COUNT(*) FROM t GROUP BY 1"),
    ("dbvbigquery", "SELECT t.id, ARRAY_AGG(t.col) AS t FROM t GROUP BY t.id"),
    ("dbvbigquery", "SELECT x.a, MAX(x.b) AS x FROM x GROUP BY 1 HAVING MAX(x.b) > 1"),
    ("dbvbigquery", "SELECT user_id, ts FROM e QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts) = 1"),
    ("dbvbigquery", "SELECT s.f, t.s.g FROM t"),
    ("dbvbigquery", "SELECT a FROM `p.d.t` WHERE a IN (SELECT a FROM `p.d.u`)"),
    (
        "dbvpostgresql",
        "WITH RECURSIVE r AS (SELECT id, p FROM t UNION ALL SELECT t.id, t.p FROM t JOIN r "
        "ON t.p = r.id) SELECT id FROM r",
    ),
    (
        "dbvpostgresql",
        "WITH RECURSIVE r AS (SELECT id AS n FROM t UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r",
    ),
    ("dbvpostgresql", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r"),
    (
        "dbvmssql",
        "WITH r AS (SELECT Id, Boss FROM e UNION ALL SELECT e.Id, e.Boss FROM e JOIN r ON e.Boss = r.Id) "
        "SELECT Id FROM r",
    ),
    ("dbvpostgresql", "SELECT u.a, u.b FROM (SELECT a, b FROM t UNION ALL SELECT c, d FROM v) AS u"),
    ("dbvpostgresql", "SELECT a, x FROM (SELECT a, 1 AS x FROM t UNION SELECT b, 2 FROM v) AS u WHERE a > 0"),
    ("dbvpostgresql", "SELECT u.* FROM (SELECT a FROM t UNION SELECT b FROM v) AS u"),
    ("dbvpostgresql", "SELECT c FROM (SELECT a FROM t UNION SELECT b FROM v) AS u"),
    # Table functions (UNNEST, LATERAL VIEW, FLATTEN, APPLY, VALUES), aliased or not, columns qualified or not.
    ("dbvbigquery", "SELECT o.id, item.sku FROM o CROSS JOIN UNNEST(o.items) AS item"),
    ("dbvbigquery", "SELECT o.id, item FROM o, UNNEST(o.items) AS item"),
    ("dbvbigquery", "SELECT id, item FROM o, UNNEST(items) AS item"),
    ("dbvbigquery", "SELECT o.id, x, pos FROM o, UNNEST(o.items) AS x WITH OFFSET AS pos"),
    ("dbvbigquery", "SELECT n FROM UNNEST([1, 2]) AS n"),
    ("dbvbigquery", "SELECT o.id FROM o, UNNEST(o.items)"),
    ("dbvbigquery", "SELECT o.id, (SELECT MAX(x) FROM UNNEST(o.items) AS x) AS m FROM o"),
    ("dbvhive", "SELECT a.id, t.tag FROM a LATERAL VIEW EXPLODE(a.tags) t AS tag"),
    ("dbvhive", "SELECT id, tag FROM a LATERAL VIEW EXPLODE(tags) t AS tag"),
    ("dbvhive", "SELECT a.id, t.col FROM a LATERAL VIEW EXPLODE(a.tags) t"),
    ("dbvhive", "SELECT a.id, p, v FROM a LATERAL VIEW POSEXPLODE(a.tags) t AS p, v"),
    ("dbvhive", "SELECT a.id, t.k FROM a LATERAL VIEW OUTER EXPLODE(a.m) t AS k, v"),
    ("dbvsparksql", "SELECT a.id, x.tag FROM a LATERAL VIEW EXPLODE(a.tags) x AS tag WHERE a.id IN (SELECT id FROM b)"),
    ("dbvsnowflake", "SELECT o.id, f.value:sku::string AS sku FROM o, LATERAL FLATTEN(input => o.items) f"),
    ("dbvsnowflake", "SELECT o.id, value FROM o, LATERAL FLATTEN(input => o.items)"),
    ("dbvsnowflake", "SELECT o.id, f.value FROM o, TABLE(FLATTEN(o.items)) f"),
    ("dbvpostgresql", "SELECT t.id, x FROM t, UNNEST(t.arr) AS x"),
    ("dbvpostgresql", "SELECT t.id, u.x FROM t CROSS JOIN LATERAL (SELECT t.a AS x) AS u"),
    ("dbvpostgresql", "SELECT g.n FROM generate_series(1, 3) AS g(n)"),
    ("dbvpostgresql", "SELECT t.id, u.v FROM t, LATERAL unnest(t.arr) AS u(v)"),
    ("dbvmssql", "SELECT t.id, a.x FROM t CROSS APPLY (SELECT t.a AS x) AS a"),
    ("dbvmssql", "SELECT t.id, s.value FROM t CROSS APPLY STRING_SPLIT(t.csv, ',') AS s"),
    ("dbvpostgresql", "SELECT v.a, v.b FROM (VALUES (1, 2)) AS v(a, b)"),
    ("dbvpostgresql", "SELECT * FROM (VALUES (1), (2)) AS v"),
    ("dbvpostgresql", "SELECT t.id, g.generate_series FROM t, LATERAL generate_series(1, t.n) AS g"),
    ("dbvsnowflake", "SELECT t.id, s.value FROM t, LATERAL SPLIT_TO_TABLE(t.csv, ',') AS s"),
]


def _cases() -> list[tuple[str, str]]:
    cases = list(EXTRA)
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases += [(data["vendor"], "\n".join(c.get("setup", []) + c["sql"])) for c in data["cases"]]
    return cases


def _shape(scope: Scope | None, dialect: object) -> list[tuple[str, str, list[str], list[str]]] | None:
    """Each scope's SQL (generic, and in the dialect: BigQuery renders marks such as ``shadow``), sources, columns."""
    if scope is None:
        return None
    return [
        (s.expression.sql(), s.expression.sql(dialect), sorted(s.selected_sources), [c.sql() for c in s.columns])
        for s in scope.traverse()
    ]


def test_shortcut_matches_full_qualification(monkeypatch: pytest.MonkeyPatch) -> None:
    shortcut = rewriting.qualify_without_schema
    full_qualify = rewriting.qualify_query
    compared, taken = 0, 0
    mismatches: list[str] = []  # collected, not asserted in place: analyze() reports exceptions as errors

    def both(query, dialect, schema, known_columns, normalize, nested):  # type: ignore[no-untyped-def]
        nonlocal compared, taken
        reference = query.copy()
        scope = full_qualify(query, dialect, schema, known_columns, normalize, nested)
        taken += not schema and scope is not None and shortcut_used[-1]
        monkeypatch.setattr(rewriting, "qualify_without_schema", lambda *args: None)
        expected = full_qualify(reference, dialect, schema, known_columns, normalize, nested)
        monkeypatch.setattr(rewriting, "qualify_without_schema", recording)
        if _shape(scope, dialect) != _shape(expected, dialect):
            mismatches.append(reference.sql(dialect))
        compared += 1
        return scope

    shortcut_used: list[bool] = [False]

    def recording(*args):  # type: ignore[no-untyped-def]
        result = shortcut(*args)
        shortcut_used.append(result is not None)
        return result

    monkeypatch.setattr(rewriting, "qualify_without_schema", recording)
    monkeypatch.setattr(analyzer, "qualify_query", both)
    for vendor, sql in _cases():
        analyze([SqlSource("case.sql", sql)], vendor)
    assert not mismatches
    assert compared > 80 and taken > compared // 2


def test_shortcut_gives_the_same_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relationships, processes and errors of every case are those of the full qualification."""

    def outcome(vendor: str, sql: str) -> tuple[list[Relationship], list[dict], list[tuple[str, str]]]:
        result = analyze([SqlSource("case.sql", sql)], vendor)
        return (
            list(result.relationships),  # named tuples: compared field by field, spans included
            [dataclasses.asdict(p) for p in result.processes],
            [(e.error_type, e.message) for e in result.errors],
        )

    cases = _cases()
    with_shortcut = [outcome(vendor, sql) for vendor, sql in cases]
    monkeypatch.setattr(rewriting, "qualify_without_schema", lambda *args: None)
    differing = [sql for (vendor, sql), seen in zip(cases, with_shortcut, strict=True) if outcome(vendor, sql) != seen]
    assert not differing


def test_quoted_alias_binds_columns_of_a_nested_query() -> None:
    """Binding used to write the alias unquoted, so ``"O"`` became ``o`` and its columns orphans."""
    sql = 'INSERT INTO t2 (a) SELECT id FROM orders AS "O" WHERE id IN (SELECT x FROM y)'
    result = analyze([SqlSource("case.sql", sql)], "dbvpostgresql")
    assert not [e for e in result.errors if e.error_type == "LinkOrphanColumn"]
    sources = {(s.parent_name, s.column) for r in result.relationships if r.type == "fdd" for s in r.sources}
    assert ("orders", "id") in sources
