"""hypothesis writes magic lines: options of every magic (whole, abbreviated, misspelt), values, quotes,
backslashes and any text. Each line either parses or is refused with a one-line ``UsageError``, never another
exception, and a value given to anything like a secret option is never repeated in a message. Whole
``%%sqlflow_submit --dry-run`` cells then take such lines through every check of the request, in a shell.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from IPython.core.error import UsageError

from sqlflow_magic.magic import line_options as check
from sqlflow_magic.magic.job_magics import SQLFlowJobMagics
from sqlflow_magic.magic.magics import SQLFlowMagics
from sqlflow_magic.magic.submit_request import refuse_secrets_on_line
from tests.support.fuzzing import fuzz_settings
from tests.support.shell import Shell

pytestmark = pytest.mark.fuzz

MAGICS = {
    "sqlflow_submit": SQLFlowMagics.sqlflow_submit,
    "sqlflow_status": SQLFlowJobMagics.sqlflow_status,
    "sqlflow_delete": SQLFlowJobMagics.sqlflow_delete,
    "sqlflow_lineage": SQLFlowJobMagics.sqlflow_lineage,
}
#: What a user might type for a secret option: the refused ones, their prefixes, misspellings, other cases.
SECRET_OPTIONS = ("--password", "--secret-key", "--token", "--pass", "--passw", "--passwd", "--pwd", "--secret",
                  "--secretkey", "--secret_key", "--Secret-Key", "--tok", "--tokn", "--api-token", "--PASSWORD",
                  "--password-prompt", "-p", "-t", "-s")
SECRET = "Zq7SECRETvalue"  # distinctive: no option, value or message holds it by chance


def options_of(function: Any) -> list[str]:
    """The option strings a magic's help lists."""
    return sorted(set(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", function.parser.format_help())))


def word(options: list[str]) -> st.SearchStrategy[str]:
    """One word of a line: an option (maybe cut short or with ``=value``), a value, a quote, or any text."""
    option = st.sampled_from(options)
    return st.one_of(
        option,
        st.builds(lambda name, cut: name[: max(2, len(name) - cut)], option, st.integers(0, 6)),
        st.builds(lambda name, value: f"{name}={value}", option, st.text(max_size=8)),
        st.sampled_from(["oracle", "dbvmssql", "0 1 * * *", "fdd,fdr", "cell.sql", "a" * 32, "$sqlflow_job_id",
                         "'", '"', "\\", "''", '""', "--", "-", "=", "#", "*.sql", "-1", "65536", "²", "١٢"]),
        st.text(max_size=12),
    )


def lines(function: Any, quotes: bool = True) -> st.SearchStrategy[str]:
    """Lines of words; without ``quotes``, no word opens a quote or escapes (that would take in the next word)."""
    words = word(options_of(function))
    if not quotes:
        words = words.filter(lambda text: not set(text) & set("'\"\\"))
    return st.lists(words, max_size=6).map(" ".join)


def parsed(function: Any, line: str) -> argparse.Namespace | str:
    """The options of ``line``, or the UsageError's message; any other exception fails the test."""
    try:
        return check.parse_line(function, line)
    except UsageError as exc:
        return str(exc)


def assert_one_line(message: str) -> None:
    assert message.strip() and "\n" not in message and "\r" not in message, repr(message)


@pytest.mark.parametrize("name", MAGICS)
@given(data=st.data())
@fuzz_settings(200)
def test_any_line_parses_or_is_refused_in_one_line(name, data):
    function = MAGICS[name]
    outcome = parsed(function, data.draw(lines(function), label="line"))
    event("parsed" if isinstance(outcome, argparse.Namespace) else "refused")
    if isinstance(outcome, str):
        assert_one_line(outcome)


@pytest.mark.parametrize("name", MAGICS)
@given(data=st.data())
@fuzz_settings(100)
def test_a_secret_on_the_line_is_never_repeated(name, data):
    function = MAGICS[name]
    secret_word = st.builds(lambda option, joint: f"{option}{joint}{SECRET}", st.sampled_from(SECRET_OPTIONS),
                            st.sampled_from([" ", "=", " '", "='"]))
    # the secret is its own word after a secret-like option (a quote before it would make it another option's value)
    before = lines(function, quotes=False)
    line = data.draw(st.tuples(before, secret_word, lines(function)).map(" ".join), label="line")
    outcome = parsed(function, line)
    if isinstance(outcome, str):
        assert SECRET not in outcome, outcome
    elif name == "sqlflow_submit":
        try:
            refuse_secrets_on_line(outcome)
        except UsageError as exc:
            assert SECRET not in str(exc), str(exc)


@pytest.fixture
def in_a_folder_of_files(tmp_path, monkeypatch):
    """The working folder holds a few files for --file patterns; WAREHOUSE_PASSWORD holds the secret."""
    for name, content in {"a.sql": b"select 1;", "b.zip": b"PK\x05\x06" + bytes(18), "c.bin": b"\x00\x01"}.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAREHOUSE_PASSWORD", SECRET)


def dry_run_lines() -> st.SearchStrategy[str]:
    """Lines for a dry run: no --password-prompt (getpass could wait for a keyboard), no braces (IPython
    would evaluate them as Python in the line), --file patterns among the folder's files."""
    options = [name for name in options_of(SQLFlowMagics.sqlflow_submit) if name != "--password-prompt"]
    extra = st.sampled_from(["--file", "a.sql", "*.sql", "**", "b.zip", "c.bin", "folder", "--password-env",
                             "WAREHOUSE_PASSWORD", "--schedule", "'0 1 * * *'", "--var", "x", "--filename"])
    typed = [option for option in SECRET_OPTIONS if option != "--password-prompt"]
    secret_word = st.builds(lambda option, joint: f"{option}{joint}{SECRET}", st.sampled_from(typed),
                            st.sampled_from([" ", "="]))
    plausible = st.sampled_from(["-d oracle", "-d mssql", "-n job", "--job-id 0123456789abcdef0123456789abcdef",
                                 "--file a.sql", "--file '*.sql'", "--file b.zip", "--schedule '0 1 * * *'",
                                 "--port 5432", "--default-schema s", "--on-top", "--no-pin", "--var x", "--wait",
                                 "--password-env WAREHOUSE_PASSWORD", "--filename q.sql", "--hostname db"])
    words = st.one_of(plausible, plausible, word(options), extra, secret_word).filter(
        lambda text: not set(text) & set("{}"))
    return st.lists(words, max_size=5).map(" ".join)


@given(line=dry_run_lines())
@fuzz_settings(150)
def test_a_dry_run_cell_with_any_line_shows_its_request_or_one_usage_error(shell: Shell, in_a_folder_of_files, line):
    run = shell.run(f"%%sqlflow_submit --dry-run {line}\nselect a from t;", store_history=False)
    event("request shown" if run.success else "refused")
    assert run.success or isinstance(run.error, UsageError), run.text()
    if not run.success:
        assert_one_line(str(run.error))
    assert SECRET not in run.text(), run.text()
