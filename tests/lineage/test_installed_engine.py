"""The engine pip installed gives exactly the lineage of these sources: compiled by ``setup.py`` (mypyc) where
it could be, it must not answer differently from the Python it was compiled from.

The rest of the suite imports the package from the checkout (``python -m pytest`` puts it first on the
path), so without this test a compiled engine would only ever be run by the README's main command. The
child runs outside the checkout, where the import system loads the installed package; where that is the
checkout itself (an editable install) or a pure-Python build, the comparison still runs and passes
trivially, and the child's ``engine_file`` in the failure message says which one was compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from sqlflow_magic.server.lineage import LineageResult, SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import analyse_batch, describe, merge, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass
from tests.lineage.test_batches import SCRIPT, case_files
from tests.support.lineage_corpus import CASES

pytestmark = pytest.mark.server  # a process of its own, like the analysis processes

#: Runs in the child on the installed package: every input at both levels, and the script in batches.
CHILD = """
import json, sys
from sqlflow_magic.server.lineage import SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import analyse_batch, describe, merge, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass
import sqlflow_magic.server.lineage.engine as engine

def exported(result, table_level):
    answer = to_sqlflow_json(result, job_id="job", table_level=table_level, now_ms=1)
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)

inputs, script = json.load(sys.stdin)
outputs = []
for vendor, files, options in inputs:
    sources = [SqlSource(name, text) for name, text in files]
    for column_level in (True, False):
        outputs.append(exported(analyze(sources, vendor, column_level=column_level, **options), not column_level))
sources = [SqlSource("script.sql", script)]
found = first_pass(sources, "dbvpostgresql")
planned = plan_batches(sources, 4, choose_dialect("dbvpostgresql").batch_separator)
encoded = [analyse_batch(sources, parts, "dbvpostgresql", batch_start(found, *parts[0][:2], "dbvpostgresql"),
                         deadline=None) for parts in planned]
outputs.append(exported(merge(encoded, [describe(sources, parts) for parts in planned], "dbvpostgresql", ""), False))
import pickle  # the records that travel between the server and its analysis processes
from sqlflow_magic.server.lineage.model import LineageError, Span
from sqlflow_magic.server.lineage.parts import BatchStart
from sqlflow_magic.server.lineage.batches import BatchFailure
records = [SqlSource("a.sql", "SELECT 1", "bad bytes"),
           LineageError("m", "SyntaxError", "a.sql", Span(1, 1, 1, 9), "r"),
           BatchStart({(None, "s", "t"): ["a"]}, {"a": "A"}, "db", None), BatchFailure("the process ended")]
outputs.append(json.dumps([type(r).__name__ for r in records if pickle.loads(pickle.dumps(r)) == r]))
print(json.dumps({"engine_file": engine.__file__, "outputs": outputs}))
"""

#: Beyond the corpus: what fails to parse, procedural code and a deadline's neighbours, in three dialects.
EXTRA = [
    ("dbvoracle", "CREATE OR REPLACE PROCEDURE p IS BEGIN INSERT INTO t SELECT a, b FROM s; END;\n/\n"
                  "INSERT INTO u SELECT * FROM t WHERE x = ;\nSELECT 1 FROM dual;"),
    ("dbvmssql", "CREATE PROCEDURE dbo.p AS\nBEGIN\n  UPDATE t SET x += s.y FROM t JOIN s ON t.id = s.id;\nEND\nGO\n"
                 "SELECT a INTO #tmp FROM x UNION ALL SELECT b FROM y\nGO"),
    ("dbvsnowflake", "CREATE TABLE b CLONE a;\nALTER TABLE a SWAP WITH b;\nINSERT INTO t VALUES (1, (SELECT "
                     "max(id) FROM t2));\nSELECT row_number() OVER (PARTITION BY p ORDER BY o), CASE WHEN c THEN d END "
                     "FROM z;"),
]


def exported(result: LineageResult, table_level: bool) -> str:
    answer = to_sqlflow_json(result, job_id="job", table_level=table_level, now_ms=1)
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)


def inputs() -> list[tuple[str, list[tuple[str, str]], dict[str, Any]]]:
    found = []
    for vendor, case in (param.values for param in CASES):
        found.append((vendor, [(f.name, f.text) for f in case_files(case)], case.get("options", {})))
    return found + [(vendor, [("extra.sql", text)], {}) for vendor, text in EXTRA]


def from_these_sources(cases: list[tuple[str, list[tuple[str, str]], dict[str, Any]]]) -> list[str]:
    outputs = []
    for vendor, files, options in cases:
        sources = [SqlSource(name, text) for name, text in files]
        for column_level in (True, False):
            outputs.append(exported(analyze(sources, vendor, column_level=column_level, **options), not column_level))
    sources = [SqlSource("script.sql", SCRIPT)]
    found = first_pass(sources, "dbvpostgresql")
    planned = plan_batches(sources, 4, choose_dialect("dbvpostgresql").batch_separator)
    encoded: list[Any] = [
        analyse_batch(sources, parts, "dbvpostgresql", batch_start(found, *parts[0][:2], "dbvpostgresql"),
                      deadline=None)
        for parts in planned
    ]
    merged = merge(encoded, [describe(sources, parts) for parts in planned], "dbvpostgresql", "")
    assert merged is not None and len(planned) == 4
    return [*outputs, exported(merged, False), json.dumps(["SqlSource", "LineageError", "BatchStart", "BatchFailure"])]


def test_the_installed_engine_gives_the_lineage_of_these_sources(tmp_path):
    cases = inputs()
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps([cases, SCRIPT]), capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    child = json.loads(done.stdout)
    ours = from_these_sources(cases)
    assert len(child["outputs"]) == len(ours) == 2 * len(cases) + 2
    differing = [index for index, pair in enumerate(zip(child["outputs"], ours, strict=True)) if pair[0] != pair[1]]
    assert not differing, f"the installed engine ({child['engine_file']}) differs on outputs {differing[:10]}"
