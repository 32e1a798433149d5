"""The exports' JSON: the same bytes from orjson and from Python's json (sqlflow_magic/server/exports/json_text.py)."""

from __future__ import annotations

import json

import pytest

from sqlflow_magic.server.exports import ViewOptions, apply_view, generation_answer, job_answer, json_bytes
from sqlflow_magic.server.exports.json_text import CODEC, encode_with_json
from sqlflow_magic.server.exports.views import RELATION_TYPES
from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json
from tests.lineage.test_batches import case_files
from tests.support.lineage_corpus import CASES

pytestmark = pytest.mark.unit
orjson = pytest.importorskip("orjson")  # with the `compiled` extra, as the README and CI install

VIEWS = (ViewOptions(), ViewOptions(frozenset({"fdd", "fdr"})), ViewOptions(frozenset(RELATION_TYPES), False, False),
         ViewOptions(table_level=True))


def answers(result: object) -> list[object]:
    """Every JSON answer the server writes of one job: its lineage at both levels and views of it."""
    found: list[object] = []
    for table_level in (False, True):
        lineage = to_sqlflow_json(result, job_id="job", table_level=table_level, now_ms=1)  # type: ignore[arg-type]
        found.append(lineage)
        for options in VIEWS:
            view = apply_view(lineage, options)
            found += [job_answer(view), *(generation_answer(view, with_graph=graph) for graph in (True, False))]
    return found


def test_the_exports_installed_write_with_orjson() -> None:
    assert CODEC == "orjson" and json_bytes({"a": [1, "é"]}) == b'{"a":[1,"\xc3\xa9"]}'


def test_every_answer_of_the_corpus_is_the_same_bytes_from_orjson_and_from_json() -> None:
    compared = 0
    for vendor, case in (param.values for param in CASES):
        result = analyze(case_files(case), vendor, **case.get("options", {}))
        for answer in answers(result):
            written = orjson.dumps(answer)
            assert encode_with_json(answer) == written, case["id"]
            assert json.loads(written) == answer, case["id"]
            compared += 1
    assert compared > 3000


def test_names_with_control_characters_quotes_and_astral_characters_are_written_alike() -> None:
    sql = 'INSERT INTO "t\x01\\ab" SELECT "c\u2028\U0001F600""q" FROM "s\té";'
    for answer in answers(analyze([SqlSource("odd.sql", sql)], "dbvpostgresql")):
        assert encode_with_json(answer) == orjson.dumps(answer)
