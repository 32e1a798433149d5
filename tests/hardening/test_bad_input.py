"""Bad input, case by case: each gives a one-line error that names the problem and the fix, fails the
cell, and leaves the saved ``sqlflow_job_id`` and ``sqlflow_job`` exactly as they were.

The cases are listed in CASES (cells run as the user types them) and below it (cases needing files,
environment variables or another user's job).
"""

from __future__ import annotations

import os
import zipfile

import pytest

from tests.support.shell import Shell
from tests.support.users import BOB, BOB_SECRET

pytestmark = pytest.mark.server

# (id, cell, words that the one-line message must contain)
CASES = [
    ("empty-cell", "%%sqlflow_submit\n", ["cell body is empty", "line magic %sqlflow_submit"]),
    ("whitespace-cell", "%%sqlflow_submit -d mssql\n  \n\t\n", ["cell is empty", "write SQL"]),
    ("line-form-without-files", "%sqlflow_submit -d mssql", ["sends files only", "--file PATH"]),
    ("unknown-vendor", "%%sqlflow_submit -d qwertyuiop\nselect 1", ["unknown dbvendor", "use one of"]),
    ("misspelt-vendor", "%%sqlflow_submit -d snowflak\nselect 1", ["did you mean 'dbvsnowflake'"]),
    ("misspelt-vendor-2", "%%sqlflow_submit --dbvendor postgress\nselect 1", ["dbvpostgresql"]),
    ("empty-vendor", "%%sqlflow_submit -d ''\nselect 1", ["unknown dbvendor", "use one of"]),
    ("unknown-option", "%%sqlflow_submit --vendor mssql\nselect 1", ["unrecognized", "--vendor"]),
    ("option-without-value", "%%sqlflow_submit --job-id\nselect 1", ["--job-id", "expected one argument"]),
    ("vendor-without-value", "%%sqlflow_submit -d\nselect 1", ["--dbvendor", "expected one argument"]),
    ("short-job-id", "%%sqlflow_submit -j 12345\nselect 1", ["malformed jobId", "32 hex"]),
    ("non-hex-job-id", "%%sqlflow_submit -j zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nselect 1", ["malformed jobId"]),
    ("unexpanded-variable", "%%sqlflow_submit -j $no_such_variable\nselect 1", ["is not defined", "without --job-id"]),
    ("bad-cron-words", "%%sqlflow_submit --schedule 'every night'\nselect 1", ["cron", "'0 1 * * *'"]),
    ("bad-cron-six-fields", "%%sqlflow_submit --schedule '0 0 1 * * *'\nselect 1", ["has 6 fields", "five"]),
    ("bad-cron-range", "%%sqlflow_submit --schedule '61 * * * *'\nselect 1", ["minute field '61'", "0-59"]),
    ("bad-cron-hour", "%%sqlflow_submit --schedule '0 25 * * *'\nselect 1", ["hour field '25'", "0-23"]),
    ("unknown-option", "%%sqlflow_submit --jobname x\nselect 1", ["--jobname: did you mean --job-name?"]),
    ("port-not-a-number", "%%sqlflow_submit --port abc\nselect 1", ["port must be a number", "'abc'"]),
    ("port-out-of-range", "%%sqlflow_submit --port 70000\nselect 1", ["1 to 65535"]),
    ("glob-matches-nothing", "%%sqlflow_submit --file '/no/such/dir/*.sql'\nselect 1", ["matches no file"]),
    ("missing-file", "%%sqlflow_submit --file /no/such/file.sql\nselect 1", ["matches no file", "check the path"]),
    ("bad-var-name", "%%sqlflow_submit --var 2x\nselect 1", ["not a Python variable name"]),
    ("keyword-var-name", "%%sqlflow_submit --var class\nselect 1", ["not a Python variable name"]),
    ("password-on-line", "%%sqlflow_submit --password hunter2\nselect 1", ["--password-env", "--password-prompt"]),
    ("secret-key-on-line", "%%sqlflow_submit --secret-key abc\nselect 1", ["SQLFLOW_SECRET_KEY", "%sqlflow_login"]),
    ("token-on-line", "%%sqlflow_submit --token abc\nselect 1", ["SQLFLOW_TOKEN"]),
    ("password-env-unset", "%%sqlflow_submit --password-env NO_SUCH_VAR_42\nselect 1", ["not set", "export"]),
    ("password-env-and-prompt", "%%sqlflow_submit --password-env HOME --password-prompt\nselect 1", ["not both"]),
    ("no-incremental-alone", "%%sqlflow_submit --no-incremental\nselect 1", ["needs --job-id"]),
    ("filename-with-path", "%%sqlflow_submit --filename ../up.sql\nselect 1", ["plain file name"]),
    ("status-bad-id", "%sqlflow_status not-a-job", ["malformed jobId", "$sqlflow_job_id, or leave it out"]),
    ("delete-bad-id", "%sqlflow_delete 42 --yes", ["malformed jobId", "with $sqlflow_job_id"]),
    ("lineage-bad-format", "%sqlflow_lineage --format xml", ["invalid choice", "'xml'"]),
    ("delete-needs-yes", "%sqlflow_delete 0123456789abcdef0123456789abcdef", ["--yes"]),
    ("jobs-takes-no-arguments", "%sqlflow_jobs all", ["takes no arguments"]),
    ("config-takes-no-arguments", "%sqlflow_config base_url", ["%config SQLFlowMagics"]),
    ("unknown-job", "%%sqlflow_submit -j 0123456789abcdef0123456789abcdef\nselect 1", ["not found", "%sqlflow_jobs"]),
    ("unknown-job-status", "%sqlflow_status 0123456789abcdef0123456789abcdef", ["not found", "%sqlflow_jobs"]),
]


def assert_failed_in_one_line(shell: Shell, cell: str, words: list[str], *, store_history: bool = True) -> None:
    saved = shell.ns["sqlflow_job_id"], shell.ns["sqlflow_job"]
    run = shell.run(cell, store_history=store_history)
    assert not run.success, f"the cell should fail: {cell!r}"
    message = (run.stdout + run.stderr).strip()
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, (word, message)
    assert shell.ns["sqlflow_job_id"] == saved[0] and shell.ns["sqlflow_job"] is saved[1]


@pytest.fixture
def submitted(alice_shell: Shell) -> Shell:
    assert alice_shell.run("%%sqlflow_submit -d mssql -n keep-me\nselect a from t").success
    return alice_shell


@pytest.mark.parametrize(("cell", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_typed_mistakes(submitted, cell, words):
    assert_failed_in_one_line(submitted, cell, words)


def test_file_is_a_directory(submitted, tmp_path):
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}\nselect 1", ["is a directory", "*.sql"])


def test_file_is_unreadable(submitted, tmp_path):
    loop = tmp_path / "loop.sql"
    os.symlink(loop, loop)  # root reads every file, but nobody opens a symlink loop
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {loop}\nselect 1", ["cannot read", "may read it"])


def test_file_is_binary(submitted, tmp_path):
    (tmp_path / "x.sql").write_bytes(b"\x00\x01\x02select")
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}/x.sql\nselect 1", ["binary file"])


def test_file_is_not_utf8(submitted, tmp_path):
    (tmp_path / "latin.sql").write_bytes("select 'café'".encode("latin-1"))
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}/latin.sql\nselect 1",
                              ["not UTF-8", "iconv"])


def test_fake_zip(submitted, tmp_path):
    (tmp_path / "x.zip").write_text("not a zip")
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}/x.zip\nselect 1", ["not a zip archive"])


def test_file_of_another_kind(submitted, tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}/data.csv\nselect 1",
                              ["only .sql", ".zip"])


def test_file_over_the_size_limit(submitted, tmp_path):
    (tmp_path / "big.sql").write_text("select 1;\n" * 200)
    submitted.ip.run_line_magic("config", "SQLFlowMagics.max_cell_bytes = 1000")
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit --file {tmp_path}/big.sql\nselect 1",
                              ["over the limit", "max_cell_bytes"])


def test_cell_that_is_not_utf8(submitted):
    # IPython's history database cannot store such a cell either: keep it out of the history
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect '\udcff'", ["not valid UTF-8"], store_history=False)


def test_a_100_mb_cell(submitted):
    saved = submitted.ns["sqlflow_job_id"]
    body = "select 1 from t;\n" * (100 * 2**20 // 17 + 1)
    # straight to the magic: IPython's own input transformation of a 100 MB cell takes ~25 s
    with pytest.raises(Exception) as caught:
        submitted.ip.run_cell_magic("sqlflow_submit", "", body)
    assert type(caught.value).__name__ == "UsageError"
    assert "over the limit of 64.0 MiB" in str(caught.value) and "max_cell_bytes" in str(caught.value)
    assert submitted.ns["sqlflow_job_id"] == saved


@pytest.mark.parametrize(
    ("url", "words"),
    [("sqlflow.example:8165", ["no scheme", "http://sqlflow.example:8165"]),
     ("htps://sqlflow.example", ["misspelt scheme", "https://sqlflow.example"]),
     ("http://sqlflow.example:port", ["bad port"])],
    ids=["no-scheme", "typo-scheme", "bad-url-port"],
)
def test_bad_base_url_from_the_environment(submitted, monkeypatch, url, words):
    monkeypatch.setenv("SQLFLOW_URL", url)
    submitted.ip.config.SQLFlowMagics.pop("base_url", None)
    submitted.magics.base_url = None
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["ConfigurationError", *words])


def test_unreachable_host(submitted):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    submitted.ip.run_line_magic("config", f"SQLFlowMagics.base_url = 'http://127.0.0.1:{port}'")
    submitted.ip.run_line_magic("config", "SQLFlowMagics.max_retries = 0")
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["cannot connect", "server is running"])


def test_secret_key_with_stray_whitespace(submitted, monkeypatch):
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", "sk-alice-7f3a9c1e5b\n")
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["white space", "without spaces"])


def test_wrong_secret_key(submitted, monkeypatch):
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", "sk-not-the-right-one")
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["AuthenticationError", "SQLFLOW_SECRET_KEY"])


def test_secret_key_without_user_id(submitted, monkeypatch):
    monkeypatch.delenv("SQLFLOW_USER_ID")
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["no user id", "SQLFLOW_USER_ID"])


def test_unknown_vendor_in_the_environment(submitted, monkeypatch):
    monkeypatch.setenv("SQLFLOW_DBVENDOR", "oracel")
    assert_failed_in_one_line(submitted, "%%sqlflow_submit\nselect 1", ["'oracel'", "SQLFLOW_DBVENDOR", "dbvoracle"])


def test_job_of_another_user(submitted, local_server):
    from sqlflow_magic.client import SQLFlowClient
    from sqlflow_magic.client.models import SubmitRequest, UploadFile
    from sqlflow_magic.client.settings import ClientSettings

    with SQLFlowClient(ClientSettings(local_server.url, user_id=BOB, secret_key=BOB_SECRET)) as bob:
        bobs = bob.submit_persist_job(SubmitRequest("dbvmssql", (UploadFile.from_text("select 1"),)))
    assert_failed_in_one_line(submitted, f"%%sqlflow_submit -j {bobs.job_id}\nselect 1", ["not found"])


def test_zip_holding_no_sql_is_still_accepted_by_the_magic(submitted, tmp_path):
    """Not an error on the client: the server reports skipped members in the job's problems."""
    with zipfile.ZipFile(tmp_path / "docs.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert submitted.run(f"%%sqlflow_submit -f {tmp_path}/docs.zip\nselect 1").success


def test_missing_load_ext(shell):
    shell.ip.run_line_magic("unload_ext", "sqlflow_magic")
    try:
        run = shell.run("%%sqlflow_submit\nselect 1")
        assert not run.success
        assert run.stderr.strip() == "UsageError: Cell magic `%%sqlflow_submit` not found."
    finally:
        shell.ip.run_line_magic("load_ext", "sqlflow_magic")


def test_uppercase_job_id_is_accepted(submitted):
    job_id = submitted.ns["sqlflow_job_id"]
    assert submitted.run(f"%%sqlflow_submit -j {job_id.upper()}\nselect 2").success
    assert submitted.ns["sqlflow_job_id"] == job_id


def test_case_count():
    """The issue asks for at least 40 bad-input cases."""
    functions = [name for name in globals() if name.startswith("test_") and name not in
                 ("test_typed_mistakes", "test_case_count", "test_uppercase_job_id_is_accepted",
                  "test_zip_holding_no_sql_is_still_accepted_by_the_magic", "test_bad_base_url_from_the_environment")]
    assert len(CASES) + len(functions) + 3 >= 40
