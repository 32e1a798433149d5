"""No statement vanishes silently: each is analysed (a process) or reported in ``errors`` at its position.

The statements are found apart from the engine, from the positions of the words that write data
(``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``, ``CREATE VIEW``) in sqlglot's tokens: each must lie in
the span of a process or of an error (a ``ProceduralCode`` hint covers a whole block, so it does not
count), and a span may stand for as many words only as it has processes. Run on every corpus case and
on procedural scripts of each dialect.
"""

from __future__ import annotations

import pytest
from sqlglot import Dialect, TokenType

from sqlflow_magic.server.lineage import LineageResult, Span, SqlSource, analyze
from sqlflow_magic.server.lineage.input.dialects import choose_dialect
from tests.support.lineage_corpus import CASES
from tests.support.procedural_scripts import SCRIPTS

pytestmark = pytest.mark.unit

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
#: ``ON DELETE``, ``FOR UPDATE``, ``AFTER INSERT OR UPDATE``, ``GRANT SELECT, INSERT``: no statement.
_NOT_AFTER = frozenset(
    {"ON", "FOR", "AFTER", "BEFORE", "OF", "OR", ",", "GRANT", "REVOKE", "INSTEAD", "TO", "KEY", "DO"}
)


def writing_words(text: str, vendor: str) -> list[tuple[int, int]]:
    """``(line, column)`` of each word that starts a statement writing data."""
    dialect = choose_dialect(vendor).dialect
    tokens = Dialect.get_or_raise(dialect).tokenize(text)
    found, in_merge = [], False
    for index, token in enumerate(tokens):
        word = token.text.upper() if token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) else ""
        previous = tokens[index - 1].text.upper() if index else ""
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.token_type == TokenType.SEMICOLON:
            in_merge = False
        if word == "CREATE" and any(t.text.upper() == "VIEW" for t in tokens[index + 1 : index + 6]):
            found.append(_position(text, token.start))
        if word not in _WRITES or previous in _NOT_AFTER or in_merge:
            continue
        if following is not None and following.token_type in (TokenType.L_PAREN, TokenType.DOT):
            continue  # T-SQL's ``IF UPDATE(col)``, a column named ``update``
        if word == "UPDATE" and following is not None and following.text.upper() == "STATISTICS":
            continue
        in_merge = word == "MERGE"
        found.append(_position(text, token.start))
    return found


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _covers(span: Span | None, point: tuple[int, int]) -> bool:
    return span is not None and (span.start_line, span.start_column) <= point < (span.end_line, span.end_column)


def vanished(result: LineageResult, text: str, vendor: str, file_name: str = "case.sql") -> list[tuple[int, int]]:
    """The writing words of ``text`` that no process and no error accounts for."""
    errors = [e.span for e in result.errors if e.file_name == file_name and e.error_type != "ProceduralCode"]
    capacity: dict[Span | None, int] = {}
    for process in result.processes:
        if process.file_name == file_name:
            capacity[process.span] = capacity.get(process.span, 0) + 1
    lost = []
    for point in writing_words(text, vendor):
        if any(_covers(span, point) for span in errors):
            continue
        span = next((s for s, left in capacity.items() if left > 0 and _covers(s, point)), None)
        if span is None:
            lost.append(point)
        else:
            capacity[span] -= 1
    return lost


@pytest.mark.parametrize(("vendor", "case"), CASES)
def test_no_corpus_statement_vanishes(vendor: str, case: dict) -> None:
    text = "\n".join(case["sql"])
    files = [SqlSource("setup.sql", "\n".join(case["setup"]))] if case.get("setup") else []
    result = analyze([*files, SqlSource("case.sql", text)], vendor, **case.get("options", {}))
    assert vanished(result, text, vendor) == []


@pytest.mark.parametrize(("vendor", "text"), [pytest.param(v, t, id=name) for name, (v, t) in SCRIPTS.items()])
def test_no_statement_of_a_procedural_script_vanishes(vendor: str, text: str) -> None:
    result = analyze([SqlSource("case.sql", text)], vendor)
    assert vanished(result, text, vendor) == []


def test_the_counter_finds_the_statements_it_should() -> None:
    text = "INSERT INTO t SELECT 1;\nMERGE INTO t USING s ON 1=1 WHEN MATCHED THEN UPDATE SET a=1;\n" \
           "CREATE TABLE c (a INT REFERENCES p ON DELETE CASCADE);\nCREATE VIEW v AS SELECT 1 AS a;"
    assert writing_words(text, "dbvoracle") == [(1, 1), (2, 1), (4, 1)]


def test_a_lost_statement_is_noticed() -> None:
    text = "INSERT INTO t SELECT a FROM s;\nDELETE FROM u;"
    result = analyze([SqlSource("case.sql", text.split("\n")[0])], "dbvoracle")
    assert vanished(result, text, "dbvoracle") == [(2, 1)]


@pytest.mark.parametrize(
    ("vendor", "text"),
    [
        ("dbvsnowflake", "CREATE PROCEDURE p() RETURNS STRING LANGUAGE JAVASCRIPT AS $$ var n = 1; return n; $$;"),
        ("dbvpostgresql", "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$\nreturn 1\n$$;"),
    ],
)
def test_a_body_in_another_language_is_reported_not_parsed_as_sql(vendor: str, text: str) -> None:
    result = analyze([SqlSource("case.sql", text)], vendor)
    assert [e.error_type for e in result.errors] == ["UnsupportedStatement"]
    assert "not analysed (only SQL bodies are)" in result.errors[0].message
