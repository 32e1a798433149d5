"""An analysis is freed as soon as it is let go: no reference cycle of the engine's own holds it.

A 5 MB job's result is millions of objects. Held by a cycle, it would wait for the collector's next full
walk (``docs/engine.md``, "An analysis is freed as soon as it is let go"). Each test runs with the
collector off, so only reference counting can free what it lets go.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from sqlflow_magic.server.lineage import SqlSource, analyze, choose_dialect
from sqlflow_magic.server.lineage.deadline import Deadline
from sqlflow_magic.server.lineage.engine import analyze_parts, batch_start, first_pass
from sqlflow_magic.server.lineage.input.parsing import ScriptParser
from sqlflow_magic.server.pool_child import collections_paused

pytestmark = pytest.mark.unit

#: Plain statements, a procedure whose body is a string (analysed through the dispatch's call back into
#: its session) and a statement the engine reports: every path between a session and its dispatch.
SCRIPT = """\
CREATE TABLE s (a INT, b INT);
INSERT INTO t SELECT a, b FROM s;
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO u SELECT a FROM t; END $$;
CALL f();
"""


@pytest.fixture(autouse=True)
def _collector_off() -> Iterator[None]:
    gc.collect()  # what earlier tests left must not be collected in the middle of these
    with collections_paused():  # the analysis process's own pause: the collector off, then as it was
        yield


@pytest.mark.parametrize("column_level", [True, False])
def test_a_result_is_freed_when_its_last_reference_goes(column_level: bool) -> None:
    result = analyze([SqlSource("job.sql", SCRIPT)], "dbvpostgresql", column_level=column_level)
    assert result.statement_count == 5 and result.processes
    freed = weakref.ref(result)
    del result
    assert freed() is None


def test_a_batchs_result_and_registry_are_freed_when_let_go() -> None:
    files = [SqlSource("job.sql", SCRIPT)]
    start = batch_start(first_pass(files, "dbvpostgresql"), 0, 0, "dbvpostgresql")
    result, registry, clean = analyze_parts(files, [(0, 0, len(SCRIPT))], "dbvpostgresql", start)
    assert clean and result.statement_count == 5
    freed = weakref.ref(result), weakref.ref(registry)
    del result, registry
    assert [ref() for ref in freed] == [None, None]


def test_a_script_parser_is_freed_when_let_go() -> None:
    parser = ScriptParser(choose_dialect("dbvoracle"), Deadline(None))
    assert len(list(parser.parse("SELECT 1 FROM dual;\nINSERT INTO t SELECT a FROM s;\n"))) == 2
    freed = weakref.ref(parser)
    del parser
    assert freed() is None
