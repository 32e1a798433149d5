"""The engine pip installed gives exactly the lineage of these sources: compiled by ``setup.py`` (mypyc) where
it could be, it must not answer differently from the Python it was compiled from.

The rest of the suite imports the package from the checkout (``python -m pytest`` puts it first on the
path), so without this test a compiled engine would only ever be run by the README's main command. The
child runs :func:`outputs` outside the checkout, where the import system loads the installed package;
where that is the checkout itself (an editable install) or a pure-Python build, the comparison still runs
and passes trivially, and the child's ``engine_file`` in the failure message says which one was compared.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.lineage.test_batches import SCRIPT, case_files
from tests.support.lineage_corpus import CASES

pytestmark = pytest.mark.server  # a process of its own, like the analysis processes

#: Beyond the corpus: what fails to parse, procedural code, DDL that moves whole tables, in three dialects.
EXTRA = [
    ("dbvoracle", "CREATE OR REPLACE PROCEDURE p IS BEGIN INSERT INTO t SELECT a, b FROM s; END;\n/\n"
                  "INSERT INTO u SELECT * FROM t WHERE x = ;\nSELECT 1 FROM dual;"),
    ("dbvmssql", "CREATE PROCEDURE dbo.p AS\nBEGIN\n  UPDATE t SET x += s.y FROM t JOIN s ON t.id = s.id;\nEND\nGO\n"
                 "SELECT a INTO #tmp FROM x UNION ALL SELECT b FROM y\nGO"),
    ("dbvsnowflake", "CREATE TABLE b CLONE a;\nALTER TABLE a SWAP WITH b;\nINSERT INTO t VALUES (1, (SELECT "
                     "max(id) FROM t2));\nSELECT row_number() OVER (PARTITION BY p ORDER BY o), CASE WHEN c THEN d END "
                     "FROM z;"),
]


def outputs(inputs: list[Any], script: str) -> dict[str, Any]:
    """Every input's lineage at both levels, ``script`` in four batches merged, and the records that travel
    between the server and its analysis processes through pickle, with the file the engine was loaded from.

    Run here and, by its source, in the child: it imports only the package under test.
    """
    import pickle

    import sqlflow_magic.server.lineage.engine as engine
    from sqlflow_magic.server.lineage import SqlSource, analyze, choose_dialect, to_sqlflow_json
    from sqlflow_magic.server.lineage.batches import BatchFailure, analyse_batch, describe, merge, plan_batches
    from sqlflow_magic.server.lineage.model import LineageError, Span
    from sqlflow_magic.server.lineage.parts import BatchStart

    def exported(result: Any, table_level: bool) -> str:
        answer = to_sqlflow_json(result, job_id="job", table_level=table_level, now_ms=1)
        answer.pop("sessionId", None)
        return json.dumps(answer, sort_keys=True)

    found = []
    for vendor, files, options in inputs:
        sources = [SqlSource(name, text) for name, text in files]
        for column_level in (True, False):
            found.append(exported(analyze(sources, vendor, column_level=column_level, **options), not column_level))
    sources, vendor = [SqlSource("script.sql", script)], "dbvpostgresql"
    first = engine.first_pass(sources, vendor)
    planned = plan_batches(sources, 4, choose_dialect(vendor).batch_separator)
    encoded: list[Any] = [analyse_batch(sources, parts, vendor, engine.batch_start(first, *parts[0][:2], vendor),
                                        deadline=None) for parts in planned]  # fmt: skip
    merged = merge(encoded, [describe(sources, parts) for parts in planned], vendor, "")
    found.append(f"{len(planned)} batches: " + (exported(merged, False) if merged is not None else "not merged"))
    records = [SqlSource("a.sql", "SELECT 1", "bad bytes"), LineageError("m", "SyntaxError", "a.sql", Span(1, 1, 1, 9)),
               BatchStart({(None, "s", "t"): ["a"]}, {"a": "A"}, "db", None), BatchFailure("the process ended")]
    found.append(json.dumps([type(item).__name__ for item in records if pickle.loads(pickle.dumps(item)) == item]))
    return {"engine_file": engine.__file__, "outputs": found}


#: The child: :func:`outputs` by its source, on what it reads from standard input.
CHILD = "\n".join(["from __future__ import annotations", "import json, sys", "from typing import Any",
                   inspect.getsource(outputs), "print(json.dumps(outputs(*json.load(sys.stdin))))"])


def inputs() -> list[tuple[str, list[tuple[str, str]], dict[str, Any]]]:
    found = []
    for vendor, case in (param.values for param in CASES):
        found.append((vendor, [(f.name, f.text) for f in case_files(case)], case.get("options", {})))
    return found + [(vendor, [("extra.sql", text)], {}) for vendor, text in EXTRA]


def test_the_installed_engine_gives_the_lineage_of_these_sources(tmp_path):
    cases = inputs()
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps([cases, SCRIPT]), capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    child, ours = json.loads(done.stdout), outputs(cases, SCRIPT)
    assert ours["outputs"][-2].startswith("4 batches: {")  # the script was really cut and merged
    assert ours["outputs"][-1] == '["SqlSource", "LineageError", "BatchStart", "BatchFailure"]'
    assert len(child["outputs"]) == len(ours["outputs"]) == 2 * len(cases) + 2
    differing = [index for index, pair in enumerate(zip(child["outputs"], ours["outputs"], strict=True))
                 if pair[0] != pair[1]]  # fmt: skip
    assert not differing, f"the installed engine ({child['engine_file']}) differs on outputs {differing[:10]}"
