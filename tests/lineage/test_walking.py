"""Dead trees are taken apart for reference counting; case-sensitive marks survive the normalisation."""

from __future__ import annotations

import gc

import pytest
import sqlglot
from sqlglot.optimizer.scope import build_scope

from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.analysis.walking import DISMANTLE_FROM_STATEMENT, dismantle

pytestmark = pytest.mark.unit


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


def _cyclic_garbage_of_an_analysis(statements: int) -> int:
    sql = "".join(f"INSERT INTO t{i} SELECT a, b + 1 FROM s{i} WHERE c > {i};\n" for i in range(statements))
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        analyze([SqlSource("q.sql", sql)], "dbvpostgresql")
        return gc.collect()
    finally:
        if enabled:
            gc.enable()


def test_a_long_analysis_takes_apart_the_trees_of_all_but_its_first_statements() -> None:
    # The trees of the first statements are left to the collector (a short analysis skips the walk);
    # from DISMANTLE_FROM_STATEMENT on, reference counting frees most of each statement's tree.
    first = DISMANTLE_FROM_STATEMENT - 1
    short = _cyclic_garbage_of_an_analysis(first)
    long = _cyclic_garbage_of_an_analysis(4 * DISMANTLE_FROM_STATEMENT)
    early, late = short / first, (long - short) / (4 * DISMANTLE_FROM_STATEMENT - first)
    assert late < 0.8 * early


def test_a_case_sensitive_mark_survives_the_analysis() -> None:
    """A column marked ``/* sqlglot.meta case_sensitive */`` keeps its case, so it is another column than
    its folded twin."""
    plain = analyze([SqlSource("q.sql", "SELECT Keep, keep FROM T")], "dbvpostgresql")
    sql = "SELECT Keep /* sqlglot.meta case_sensitive */, keep FROM T"
    marked = analyze([SqlSource("q.sql", sql)], "dbvpostgresql")
    [table] = [o for o in plain.dbobjs if o.type == "table"]
    assert [c.name for c in table.columns] == ["Keep"]
    [table] = [o for o in marked.dbobjs if o.type == "table"]
    assert [c.name for c in table.columns] == ["Keep", "keep"]
