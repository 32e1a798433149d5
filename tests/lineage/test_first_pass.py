"""The first pass: the job's own CREATE TABLE/VIEW statements give the columns, wherever they are in the job."""

from __future__ import annotations

import pytest
from sqlglot import exp

from sqlflow_magic.server.lineage import SqlSource, analyze
from sqlflow_magic.server.lineage.engine import first_pass
from sqlflow_magic.server.lineage.input.first_pass import collect_definitions
from sqlflow_magic.server.lineage.input.sqlglot_tools import parse_statements

pytestmark = pytest.mark.unit


def test_a_star_is_expanded_from_ddl_in_a_later_file() -> None:
    files = [SqlSource("etl.sql", "INSERT INTO rpt.copy SELECT * FROM stage.src;"),
             SqlSource("ddl.sql", "CREATE TABLE stage.src (id INT, name TEXT);")]
    result = analyze(files, "dbvpostgresql")
    target = next(obj for obj in result.dbobjs if obj.name == "copy")
    assert [column.name for column in target.columns] == ["id", "name"]


def test_an_unqualified_column_is_placed_by_a_view_created_later() -> None:
    sql = (
        "INSERT INTO rpt.amounts (amount) SELECT amount FROM stage.orders o JOIN stage.v2 w ON o.id = w.order_id;\n"
        "CREATE VIEW stage.v2 AS SELECT order_id, amount FROM stage.raw;"
    )
    result = analyze([SqlSource("a.sql", sql)], "dbvpostgresql")
    [insert] = [r for r in result.relationships if r.type == "fdd" and r.target.parent_name == "rpt.amounts"]
    assert [(source.parent_name, source.column) for source in insert.sources] == [("stage.v2", "amount")]


def _parsed_by_one_analysis(sql: str) -> list[str]:
    """The CREATE statements the first pass of one whole-job analysis parses (their table's last name part)."""
    parsed: list[str] = []

    def parse(text: str) -> list[exp.Expr | None]:
        statements = parse_statements("postgres", text)
        parsed.extend(s.this.this.name if isinstance(s.this, exp.Schema) else s.this.name for s in statements)
        return statements

    collect_definitions([SqlSource("a.sql", sql)], parse, lambda table, *_: (None, None, table.name),
                        lambda name, quoted: name, referenced_only=True)  # fmt: skip
    return parsed


@pytest.mark.parametrize(
    ("sql", "parsed"),
    [
        ("CREATE TABLE stage.lonely (id INT); INSERT INTO rpt.x SELECT * FROM stage.src;", []),
        ("CREATE TABLE stage.src (id INT); INSERT INTO rpt.x SELECT * FROM stage.src;", ["src"]),
        ("INSERT INTO rpt.x SELECT * FROM SRC;\nCREATE TABLE src (id INT);", ["src"]),
        ('CREATE TABLE IF NOT EXISTS "S"."T t" (id INT); SELECT * FROM "S"."T t";', ["T t"]),
        ("CREATE TABLE IF NOT EXISTS s.lonely (id INT);", []),
        ("CREATE TABLE [dbo].[Lonely] (id INT);", []),
        ('SELECT * FROM V;\nCREATE VIEW "v" AS SELECT id FROM s;', ["v"]),
    ],
)
def test_one_analysis_of_a_job_parses_only_the_ddl_of_tables_named_elsewhere(sql: str, parsed: list[str]) -> None:
    assert _parsed_by_one_analysis(sql) == parsed


def test_a_job_with_few_ddl_statements_has_them_all_parsed_rather_than_its_words_counted() -> None:
    # Parsing one CREATE head costs about as much as counting the words of 2,000 characters.
    inserts = "".join(f"INSERT INTO rpt.t{n} SELECT a, b FROM stage.s{n};\n" for n in range(100))
    assert _parsed_by_one_analysis("CREATE TABLE stage.lonely (id INT);\n" + inserts) == ["lonely"]


def test_a_batch_gets_the_ddl_of_every_table() -> None:
    # A batch starts with the first spellings of the column names declared before it, whatever the table.
    found = first_pass([SqlSource("a.sql", "CREATE TABLE stage.lonely (Id INT);\nSELECT 1;")], "dbvpostgresql")
    assert [d.spellings for d in found.definitions] == [("Id",)]
