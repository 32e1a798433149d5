"""Batches merged in order as they arrive, in any order: each as soon as those before it are in, the result
that of one analysis."""

from __future__ import annotations

import json
import random

import pytest

from sqlflow_magic.server.lineage import LineageResult, SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import BatchFailure, OrderedMerge, analyse_batch, describe, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass

pytestmark = pytest.mark.unit

VENDOR = "dbvpostgresql"
#: Stars expanded from DDL at the end, views, updates and result sets: ids and names depend on the order.
SCRIPT = "\n".join(
    f"INSERT INTO dw.fact_{i % 7} SELECT * FROM stage.src_{i % 5};\n"
    f"CREATE VIEW rpt.v_{i} AS SELECT id, Amount FROM dw.fact_{(i + 3) % 7} WHERE id > {i};\n"
    f"SELECT * FROM rpt.v_{i};\n"
    f"UPDATE dw.fact_{i % 7} f SET amount = s.amount FROM stage.src_{i % 5} s WHERE f.id = s.id;"
    for i in range(40)
) + "\n" + "\n".join(f"CREATE TABLE stage.src_{i} (id INT, Amount INT, note TEXT);" for i in range(5))
FILES = [SqlSource("etl.sql", SCRIPT)]


def exported(result: LineageResult | None) -> str:
    assert result is not None
    answer = to_sqlflow_json(result, job_id="job", now_ms=1)
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)


def batches(
    files: list[SqlSource], count: int, vendor: str = VENDOR
) -> tuple[list[bytes], list[tuple[str, str, object]]]:
    found = first_pass(files, vendor)
    planned = plan_batches(files, count, choose_dialect(vendor).batch_separator)
    encoded = [analyse_batch(files, parts, vendor, batch_start(found, *parts[0][:2], vendor), deadline=None)
               for parts in planned]
    return encoded, [describe(files, parts) for parts in planned]


def test_batches_arriving_in_any_order_merge_into_the_result_of_one_analysis() -> None:
    encoded, described = batches(FILES, 8)
    assert len(encoded) == 8
    one = exported(analyze(FILES, VENDOR))
    for order in (list(range(8))[::-1], random.Random(7).sample(range(8), 8)):
        merging = OrderedMerge(described, VENDOR, "")  # type: ignore[arg-type]
        for index in order:
            merging.add(index, encoded[index])
        assert merging.done
        assert exported(merging.result) == one


def test_a_batch_is_merged_as_soon_as_every_batch_before_it_has_arrived() -> None:
    encoded, described = batches(FILES, 3)
    merging = OrderedMerge(described, VENDOR, "")  # type: ignore[arg-type]
    merging.add(1, encoded[1])
    assert merging.result is not None and merging.result.statement_count == 0  # batch 1 waits for batch 0
    merging.add(0, encoded[0])
    merged_two = merging.result.statement_count
    assert merged_two > 0 and not merging.done
    merging.add(2, encoded[2])
    assert merging.done and merging.result.statement_count > merged_two


def test_a_failed_batch_arriving_first_still_takes_its_place_in_order() -> None:
    encoded, described = batches(FILES, 3)
    merging = OrderedMerge(described, VENDOR, "")  # type: ignore[arg-type]
    for index in (2, 1, 0):
        merging.add(index, BatchFailure("the analysis process ended unexpectedly") if index == 1 else encoded[index])
    assert merging.result is not None
    [error] = [e for e in merging.result.errors if not e.is_hint]
    assert error.message.startswith("the statements of etl.sql from line ")
    assert error.message.endswith(" were not analysed: the analysis process ended unexpectedly")
    assert merging.result.status == "partial_success"


def test_a_cut_that_was_no_statement_boundary_stops_the_merge_when_it_is_reached() -> None:
    inner = "".join(f"  INSERT INTO a.t{i} SELECT x FROM a.s{i};\n" for i in range(6))
    files = [SqlSource("block.sql", f"BEGIN\n{inner}END;\n/\n")]
    encoded, described = batches(files, 2, "dbvoracle")
    merging = OrderedMerge(described, "dbvoracle", "")  # type: ignore[arg-type]
    merging.add(0, encoded[0])
    assert merging.done and not merging.exact and merging.result is None  # the job is analysed in one piece
