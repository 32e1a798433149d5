"""A job analysed in batches and merged gives exactly the result of one analysis; the first pass seeds the DDL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from sqlflow_magic.server.lineage import LineageResult, SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import BatchFailure, analyse_batch, describe, merge, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass
from tests.support.lineage_corpus import CASES

pytestmark = pytest.mark.unit


def exported(result: LineageResult | None) -> str:
    assert result is not None
    answer = to_sqlflow_json(result, job_id="job", now_ms=1)
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)


def in_batches(files: Sequence[SqlSource], vendor: str, batches: int, fail: int | None = None, **options: Any
               ) -> tuple[LineageResult | None, int]:
    """The merged result of ``files`` cut into at most ``batches`` batches (batch ``fail`` lost), and how many."""
    found = first_pass(files, vendor, **options)
    planned = plan_batches(files, batches, choose_dialect(vendor).batch_separator)
    results: list[bytes | BatchFailure] = [
        BatchFailure("the analysis process ended unexpectedly") if index == fail
        else analyse_batch(files, parts, vendor, batch_start(found, *parts[0][:2], vendor, **options), deadline=None)
        for index, parts in enumerate(planned)
    ]
    return merge(results, [describe(files, parts) for parts in planned], vendor, ""), len(planned)


def case_files(case: dict) -> list[SqlSource]:
    files = [SqlSource("setup.sql", "\n".join(case["setup"]))] if case.get("setup") else []
    return [*files, SqlSource("case.sql", "\n".join(case["sql"]))]


SCRIPT = "\n".join(
    f"INSERT INTO dw.fact_{i % 7} SELECT * FROM stage.src_{i % 5};\n"
    f"CREATE VIEW rpt.v_{i} AS SELECT id, Amount FROM dw.fact_{(i + 3) % 7} WHERE id > {i};\n"
    f"SELECT * FROM rpt.v_{i};\n"
    f"UPDATE dw.fact_{i % 7} f SET amount = s.amount FROM stage.src_{i % 5} s WHERE f.id = s.id;"
    for i in range(60)
) + "\n" + "\n".join(f"CREATE TABLE stage.src_{i} (id INT, Amount INT, note TEXT);" for i in range(5))


def test_every_corpus_job_cut_at_every_statement_merges_into_the_result_of_one_analysis() -> None:
    merged = 0
    for vendor, case in (param.values for param in CASES):
        files = case_files(case)
        result, count = in_batches(files, vendor, 50, **case.get("options", {}))
        if count > 1 and result is not None:
            assert exported(result) == exported(analyze(files, vendor, **case.get("options", {}))), case["id"]
            merged += 1
    assert merged >= 5  # the jobs of two files or several statements, really cut and merged


def test_a_script_in_many_batches_merges_into_the_result_of_one_analysis() -> None:
    files = [SqlSource("etl.sql", SCRIPT), SqlSource("more.sql", SCRIPT.replace("dw.", "dw2."))]
    result, count = in_batches(files, "dbvpostgresql", 12)
    assert count == 12
    assert exported(result) == exported(analyze(files, "dbvpostgresql"))


def test_use_reaches_the_batches_after_it() -> None:
    files = [SqlSource("a.sql", "USE shop;\n" + "\n".join(f"INSERT INTO t{i} SELECT a FROM s{i};" for i in range(9)))]
    result, count = in_batches(files, "dbvmysql", 3)
    assert count == 3
    assert result is not None
    assert {obj.database for obj in result.dbobjs if obj.type == "table"} == {"shop"}
    assert exported(result) == exported(analyze(files, "dbvmysql"))


def test_a_cut_inside_a_begin_end_block_is_not_merged() -> None:
    inner = "".join(f"  INSERT INTO a.t{i} SELECT x FROM a.s{i};\n" for i in range(6))
    block = f"BEGIN\n{inner}END;\n/\n"
    result, count = in_batches([SqlSource("block.sql", block)], "dbvoracle", 2)
    assert count == 2
    assert result is None  # the job is then analysed in one piece


def test_a_failed_batch_is_reported_with_its_lines_and_the_others_are_kept() -> None:
    text = "\n".join(f"INSERT INTO t{i} SELECT a FROM s{i};" for i in range(9))
    result, count = in_batches([SqlSource("nine.sql", text)], "dbvpostgresql", 3, fail=1)
    assert count == 3
    assert result is not None
    [error] = [e for e in result.errors if not e.is_hint]
    assert error.error_type == "AnalyzeError"
    assert error.message == (
        "the statements of nine.sql from line 5 to line 8 were not analysed: the analysis process ended unexpectedly"
    )
    assert [p.target_id for p in result.processes] == [o.id for o in result.dbobjs if o.name in ("t0", "t1", "t2",
                                                                                                  "t3", "t8")]
    assert result.status == "partial_success"


def test_a_cut_inside_a_tsql_routine_body_that_runs_to_go_is_not_merged() -> None:
    body = "".join(f"INSERT INTO dbo.t{i} SELECT x FROM dbo.s{i};\n" for i in range(4))
    script = f"CREATE PROCEDURE dbo.p AS\n{body}GO\nINSERT INTO dbo.g SELECT w FROM dbo.h;\n"
    result, count = in_batches([SqlSource("p.sql", script)], "dbvmssql", 3)
    assert count == 3
    assert result is None  # the job is then analysed in one piece
