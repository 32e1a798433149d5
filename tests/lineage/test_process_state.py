"""The engine is a library: an analysis changes no process-wide state (garbage collector, logging).

The analysis process owns that policy (``sqlflow_magic/server/pool_child.py``, ``docs/engine.md``).
"""

from __future__ import annotations

import gc
import logging

import pytest

from sqlflow_magic.server.lineage import SqlSource, analyze

pytestmark = pytest.mark.unit


def test_a_long_analysis_never_freezes_anything_and_keeps_the_collectors_thresholds() -> None:
    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    frozen_at_collections: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:  # observes only
        if phase == "start":
            frozen_at_collections.append(gc.get_freeze_count())

    gc.callbacks.append(watch)
    try:
        result = analyze([SqlSource("long.sql", "INSERT INTO t SELECT a, b FROM s;\n" * 450)], "dbvpostgresql")
    finally:
        gc.callbacks.remove(watch)
    assert result.statement_count == 450 and frozen_at_collections
    assert set(frozen_at_collections) == {0}
    assert gc.get_threshold() == thresholds


def test_the_engine_puts_no_filter_on_sqlglots_logger() -> None:
    analyze([SqlSource("q.sql", "GRANT SELECT ON t TO u; INSERT INTO t SELECT a FROM s")], "dbvpostgresql")
    ours = [f for f in logging.getLogger("sqlglot").filters if type(f).__module__.startswith("sqlflow_magic")]
    assert ours == []
