"""Where a piece of a script may end: one search of its text stands in for a look at every token, with the
same answer (``input/parsing.py``, ``balanced_cut``)."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import choose_dialect
from sqlflow_magic.server.lineage.input.parsing import balanced_cut, walked_cut
from sqlflow_magic.server.lineage.input.procedural import may_hold_blocks
from sqlflow_magic.server.lineage.input.sqlglot_tools import sqlglot_tools
from tests.support.lineage_corpus import CASES

pytestmark = pytest.mark.unit

DIALECTS = ("postgres", "tsql", "oracle", "snowflake", "mysql", "bigquery")
TEXTS = (
    "SELECT 1; SELECT 2;",
    "SELECT vendor, weekend, end_date, begin_ts, case_id, _end, type_id FROM t; SELECT 2;",
    "BEGIN SELECT 1; END; SELECT 2;",
    "BEGIN TRANSACTION; UPDATE t SET a = 1; COMMIT;",
    "SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2;",
    "SELECT CASE WHEN a THEN 1END FROM t; SELECT 2;",
    "SELECT 'BEGIN' AS b, \"end\" FROM t; SELECT 2;",
    "SELECT 1; SELECT ca\u017fe WHEN a THEN 1 ELSE 2 FROM t;",  # a long s: upper-cased, it reads CASE
    "DECLARE x INT; BEGIN SELECT 1; END; SELECT 2;",
    "CREATE PROCEDURE p AS BEGIN SELECT 1; SELECT 2; END; SELECT 3;",
    "CREATE OR REPLACE PROCEDURE p IS v NUMBER; BEGIN INSERT INTO t SELECT 1 FROM dual; END; SELECT 3;",
    "CREATE PACKAGE BODY pk AS PROCEDURE a IS BEGIN NULL; END a; END pk; SELECT 3;",
    "IF x > 1 BEGIN SELECT 1; END; SELECT 2;",
    "SELECT 1; BEGIN SELECT 2;",
    "SELECT 1; SELECT 1BEGIN SELECT 2;",  # most tokenizers split a number from a word after it
)


def _tokens(dialect: str, text: str) -> list:
    _, tokenizer, _ = sqlglot_tools(dialect)
    return tokenizer.tokenize(text)


@pytest.mark.parametrize("headers", [True, False])
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", TEXTS)
def test_the_search_gives_the_token_walks_cut(text: str, dialect: str, headers: bool) -> None:
    tokens = _tokens(dialect, text)
    assert balanced_cut(tokens, text, headers=headers) == walked_cut(tokens, headers=headers)


def test_every_corpus_case_is_cut_as_the_token_walk_cuts_it() -> None:
    compared = 0
    for param in CASES:
        vendor, case = param.values
        dialect = choose_dialect(vendor).dialect
        text = "\n".join(case.get("setup", []) + case["sql"])
        try:
            tokens = _tokens(dialect, text)
        except Exception:
            continue
        for headers in (True, False):
            assert balanced_cut(tokens, text, headers=headers) == walked_cut(tokens, headers=headers), case["id"]
            compared += 1
    assert compared > 200


@pytest.mark.parametrize(
    ("text", "headers", "may"),
    [
        ("SELECT vendor, weekend, end_date, begin_ts FROM t;", False, False),
        ("SELECT vendor, type_id FROM t;", True, False),
        ("SELECT type FROM t;", False, False),
        ("SELECT type FROM t;", True, True),
        ("SELECT CASE WHEN a THEN 1 END FROM t;", False, True),
        ("SELECT 1END FROM t;", False, True),
        ("SELECT 'end' FROM t;", False, True),
        ("SELECT ca\u017fe FROM t;", False, True),
    ],
)
def test_a_block_word_anywhere_a_token_could_hold_it_sends_the_piece_to_the_token_walk(
    text: str, headers: bool, may: bool
) -> None:
    assert may_hold_blocks(text, headers) is may
