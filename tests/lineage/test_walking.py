"""The list walks of ``walking.py`` must match sqlglot's own walk and normalisation exactly."""

from __future__ import annotations

import gc

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import build_scope, walk_in_scope

from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.analysis.walking import (
    bfs,
    dismantle,
    identifier_normalizer,
    in_scope,
    normalize_nodes,
)

pytestmark = pytest.mark.unit

QUERIES = [
    ("postgres", 'WITH c AS (SELECT "Mixed", Lower FROM S.T) SELECT X.A, (SELECT MAX(b) FROM U) FROM c AS X'),
    ("snowflake", "SELECT a, b FROM t JOIN u ON t.Id = u.ID WHERE c IN (1, 2) UNION ALL SELECT 1, 2"),
    ("tsql", "SELECT [Order Id], o.Name FROM dbo.Orders o WHERE o.Id IN (SELECT OrderId FROM dbo.Lines)"),
    ("postgres", "SELECT Keep /* sqlglot.meta case_sensitive */, Other FROM T"),
    ("bigquery", "SELECT `Proj.Ds.T`.Col, STRUCT(a AS B) FROM `Proj.Ds.T` CROSS JOIN UNNEST(Arr) AS Item"),
    # Names already in the dialect's case, quoted names and non-ASCII names (normalize_nodes skips the first).
    ("oracle", 'SELECT NAME, name, "Quoted", "QUOTED", Ärger, ÄRGER FROM HR.EMP e'),
    ("mysql", "SELECT Name, name, `Quoted` FROM Shop.Items"),
    ("duckdb", 'SELECT name, NAME, "Quoted", ärger FROM t'),
    ("bigquery", "SELECT lower_col, UPPER_COL, `Quoted` FROM ds.Tbl, proj.ds.lower_tbl"),
    ("hive", "SELECT Name, name, `Q` FROM db.T"),
    # Joins and pivots hanging on a derived table (``walk_in_scope`` walks them from the derived table).
    ("postgres", "SELECT * FROM ((SELECT a FROM t) AS x JOIN u ON x.a = u.a)"),
    ("postgres", "SELECT * FROM ((SELECT a FROM t) x JOIN (SELECT b FROM u) y ON x.a = y.b) z"),
    ("snowflake", "SELECT * FROM (SELECT a, b FROM t) PIVOT (SUM(a) FOR b IN (1, 2))"),
]


@pytest.mark.parametrize(("dialect", "sql"), QUERIES)
def test_bfs_is_the_order_of_walk(dialect: str, sql: str) -> None:
    tree = sqlglot.parse_one(sql, read=dialect)
    assert [id(node) for node in bfs(tree)] == [id(node) for node in tree.walk()]


@pytest.mark.parametrize(("dialect", "sql"), QUERIES)
def test_normalize_nodes_matches_normalize_identifiers(dialect: str, sql: str) -> None:
    expected = normalize_identifiers(sqlglot.parse_one(sql, read=dialect), dialect=dialect)
    tree = sqlglot.parse_one(sql, read=dialect)
    normalize_nodes(bfs(tree), identifier_normalizer(Dialect.get_or_raise(dialect)))
    assert tree == expected
    assert tree.sql(dialect) == expected.sql(dialect)


@pytest.mark.parametrize("dialect", [d.value for d in Dialects if d.value])
def test_identifier_normalizer_is_normalize_identifier(dialect: str) -> None:
    rules = Dialect.get_or_raise(dialect)
    normalize = identifier_normalizer(rules)
    for name in ("lower", "UPPER", "Mixed_1", "Ärger", "ärger", "ÄRGER", "straße", "x"):
        for quoted in (False, True):
            expected = rules.normalize_identifier(exp.Identifier(this=name, quoted=quoted))
            ours = exp.Identifier(this=name, quoted=quoted)
            normalize(ours)
            assert (ours.this, ours.quoted) == (expected.this, expected.quoted), (dialect, name, quoted)


def test_dismantled_tree_is_freed_without_the_cyclic_collector() -> None:
    # Counted by the collector, not watched by weak references: compiled sqlglot's nodes and scopes
    # (mypyc native classes) take no weak references.
    tree = sqlglot.parse_one("SELECT a, b + 1 FROM t WHERE c IN (SELECT d FROM u)")
    scope = build_scope(tree)
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()  # whatever parsing left to the collector
        dismantle(tree, scope)
        del tree, scope
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_a_short_analysis_never_counts_the_hosts_frozen_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """``gc.get_freeze_count`` walks every frozen object: in a host with a large frozen heap (a
    pre-forking server, say) calling it on every analysis made the engine twice as slow."""
    from sqlflow_magic.server.lineage import engine

    counted: list[int] = []
    real_count = gc.get_freeze_count
    monkeypatch.setattr(gc, "get_freeze_count", lambda: counted.append(1) or real_count())
    analyze([SqlSource("q.sql", "INSERT INTO t SELECT a FROM s;\n" * 20)], "dbvpostgresql")
    assert counted == []
    analyze([SqlSource("q.sql", "INSERT INTO t SELECT a FROM s;\n" * (engine._FREEZE_EVERY + 1))], "dbvpostgresql")
    assert counted == [1]  # asked once, when a long analysis first freezes


def test_the_analysis_freezes_what_it_keeps_and_unfreezes_it_after():
    import gc

    from sqlflow_magic.server.lineage import SqlSource, analyze, engine

    script = "".join(f"insert into t{i % 7} select a, b from s{i};\n" for i in range(engine._FREEZE_EVERY * 2 + 5))
    seen: list[int] = []
    real_freeze = gc.freeze

    def counting_freeze() -> None:
        seen.append(gc.get_freeze_count())
        real_freeze()

    gc.freeze = counting_freeze
    try:
        frozen = analyze([SqlSource("big.sql", script)], "dbvpostgresql")
    finally:
        gc.freeze = real_freeze
    assert len(seen) == 2 and gc.get_freeze_count() == 0  # frozen twice on the way, all given back at the end
    gc.freeze()  # a host that froze objects of its own: left as it is
    try:
        plain = analyze([SqlSource("big.sql", script)], "dbvpostgresql")
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert frozen.statement_count == plain.statement_count == engine._FREEZE_EVERY * 2 + 5
    assert frozen.relationships == plain.relationships


def test_a_case_sensitive_mark_survives_the_analysis() -> None:
    """Without a ``sqlglot.meta`` comment the analysis normalises the identifiers alone (no marks to look for);
    with one, the marked column keeps its case, so it is another column than its folded twin."""
    plain = analyze([SqlSource("q.sql", "SELECT Keep, keep FROM T")], "dbvpostgresql")
    sql = "SELECT Keep /* sqlglot.meta case_sensitive */, keep FROM T"
    marked = analyze([SqlSource("q.sql", sql)], "dbvpostgresql")
    [table] = [o for o in plain.dbobjs if o.type == "table"]
    assert [c.name for c in table.columns] == ["Keep"]
    [table] = [o for o in marked.dbobjs if o.type == "table"]
    assert [c.name for c in table.columns] == ["Keep", "keep"]


def _all_corpus_trees() -> list[exp.Expr]:
    import json
    from pathlib import Path

    from sqlflow_magic.server.lineage import choose_dialect

    trees = [sqlglot.parse_one(sql, read=dialect) for dialect, sql in QUERIES]
    for path in sorted((Path(__file__).parent / "corpus").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            try:
                parsed = sqlglot.parse("\n".join(case["sql"]), read=choose_dialect(data["vendor"]).dialect)
            except sqlglot.errors.ParseError:
                continue
            trees += [tree for tree in parsed if tree is not None]
    return trees


def test_in_scope_is_walk_in_scope_from_every_node() -> None:
    roots = 0
    for tree in _all_corpus_trees():
        for node in tree.walk():
            roots += 1
            assert [id(n) for n in in_scope(node)] == [id(n) for n in walk_in_scope(node)], node.sql()
            prune = _is_join_condition
            assert [id(n) for n in in_scope(node, prune)] == [id(n) for n in walk_in_scope(node, prune)]
    assert roots > 2000


def _is_join_condition(node: exp.Expr) -> bool:
    return node.arg_key in ("on", "using", "match_condition")
