"""%%sqlflow_submit end to end against the real local server: options, namespace, multipart, errors."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import Job
from sqlflow_magic.server.store import JobStore
from tests.support.users import ALICE_SECRET

pytestmark = pytest.mark.server

WIDGET = "application/vnd.jupyter.widget-view+json"


def stored_files(shell, job_id):
    store = JobStore(shell.server.config.db_path)
    try:
        return [(f.filename, f.content) for f in store.job_files(job_id)]
    finally:
        store.close()


def test_options_of_a_line_are_parsed_once_but_fresh_for_every_cell(shell):
    from sqlflow_magic.magic.line_options import parse_line

    line = "-n 'nightly load' -f a.sql -f \"b c.sql\" --port 5432"
    first = parse_line(shell.magics.sqlflow_submit, line)
    assert (first.job_name, first.file, first.port) == ("nightly load", ["a.sql", "b c.sql"], 5432)
    first.job_name = "changed"
    first.file.append("c.sql")
    again = parse_line(shell.magics.sqlflow_submit, line)
    assert (again.job_name, again.file) == ("nightly load", ["a.sql", "b c.sql"]) and again is not first


def test_help_lists_every_option(shell):
    run = shell.run("%%sqlflow_submit?")
    assert run.success
    doc = shell.magics.sqlflow_submit.__doc__
    for option in ("--dbvendor", "--job-id", "--job-name", "--default-database", "--default-schema", "--hostname",
                   "--port", "--database", "--account", "--password-env", "--password-prompt", "--schedule",
                   "--on-top", "--no-incremental", "--sqlsource", "--extra", "--file", "--filename", "--var",
                   "--dry-run"):
        assert option in doc, option


def test_submit_on_the_embedded_default_saves_the_job(shell):
    run = shell.run("%%sqlflow_submit -d mssql -n first\nSELECT a FROM t;")
    assert run.success, run.text()
    job_id = shell.ns["sqlflow_job_id"]
    assert len(job_id) == 32
    job = shell.ns["sqlflow_job"]
    assert isinstance(job, Job) and job.job_id == job_id and job.db_vendor == "dbvmssql"
    [bundle] = run.outputs
    assert set(bundle) == {"text/plain", "text/html"}  # a terminal: the panel printed, no widget
    assert "embedded local server" in bundle["text/plain"]
    assert "VBox(" not in bundle["text/plain"]
    shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")  # as a kernel front end
    [live] = shell.run("%%sqlflow_submit -d mssql -n second\nSELECT a FROM t;").outputs
    assert {"text/plain", "text/html", WIDGET} <= set(live)


def test_the_cell_is_uploaded_verbatim_and_incrementally(alice_shell):
    shell = alice_shell
    first = "-- leading comment\nSELECT a, 'x;y' FROM t;\n\n  GO  \n"
    assert shell.run(f"%%sqlflow_submit -d oracle --filename first.sql\n{first}").success
    job_id = shell.ns["sqlflow_job_id"]
    run = shell.run("%%sqlflow_submit -d oracle --job-id $sqlflow_job_id\nINSERT INTO u SELECT a FROM t;")
    assert run.success, run.text()
    assert shell.ns["sqlflow_job_id"] == job_id
    assert shell.ns["sqlflow_job"].file_names == ("first.sql", "cell.sql")
    files = stored_files(shell, job_id)
    assert files[0] == ("first.sql", first.encode())
    assert files[1] == ("cell.sql", b"INSERT INTO u SELECT a FROM t;\n")  # run_cell ends cells with a newline


def test_no_incremental_replaces_the_files(alice_shell):
    shell = alice_shell
    assert shell.run("%%sqlflow_submit\nselect 1 from a").success
    assert shell.run("%%sqlflow_submit -j $sqlflow_job_id --no-incremental --filename b.sql\nselect 1 from b").success
    assert shell.ns["sqlflow_job"].file_names == ("b.sql",)


def test_option_wins_over_config_and_aliases_resolve(alice_shell):
    shell = alice_shell
    shell.ip.run_line_magic("config", "SQLFlowMagics.default_vendor = 'snowflake'")
    assert shell.run("%%sqlflow_submit\nselect 1").success
    assert shell.ns["sqlflow_job"].db_vendor == "dbvsnowflake"
    assert shell.run("%%sqlflow_submit --dbvendor postgres\nselect 1").success
    assert shell.ns["sqlflow_job"].db_vendor == "dbvpostgresql"


def test_files_globs_and_zip(alice_shell, tmp_path):
    import zipfile

    (tmp_path / "a.sql").write_text("select 1 from a;")
    (tmp_path / "b.sql").write_text("select 1 from b;")
    with zipfile.ZipFile(tmp_path / "more.zip", "w") as archive:
        archive.writestr("c.sql", "select 1 from c;")
    shell = alice_shell
    run = shell.run(f"%%sqlflow_submit --file '{tmp_path}/*.sql' -f {tmp_path}/more.zip\nselect 1 from cell;")
    assert run.success, run.text()
    assert shell.ns["sqlflow_job"].file_names == ("cell.sql", "a.sql", "b.sql", "more.zip")
    files = dict(stored_files(shell, shell.ns["sqlflow_job_id"]))
    assert files["more.zip"] == (tmp_path / "more.zip").read_bytes()
    # files alone, with an empty cell
    assert shell.run(f"%sqlflow_submit -f {tmp_path}/a.sql").success
    assert shell.ns["sqlflow_job"].file_names == ("a.sql",)


def test_var_and_fields(alice_shell, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "pw-for-the-db-42")
    shell = alice_shell
    line = ("--var my_job --job-name nightly --default-database DW --default-schema SALES --hostname db.local "
            "--port 5432 --database dw --account reader --password-env WAREHOUSE_PASSWORD "
            "--schedule '30 2 * * 1-5' --on-top --sqlsource notebook --extra 'some text'")
    run = shell.run(f"%%sqlflow_submit {line}\nselect 1")
    assert run.success, run.text()
    assert "sqlflow_job_id" not in shell.ns
    job = shell.ns["sqlflow_job"]
    assert shell.ns["my_job"] == job.job_id and job.job_name == "nightly"
    assert job.data_source.get("hostname") == "db.local"
    summary = shell.magics.connections.client(shell.magics.effective_settings()).job_summary(job.job_id)
    assert summary.schedulable is True
    assert "pw-for-the-db-42" not in run.text()
    assert b"pw-for-the-db-42" not in shell.server.config.db_path.read_bytes()


def test_a_follow_up_submit_keeps_the_pin_and_the_schedule(alice_shell):
    """Issue 14: a follow-up submit sent onTop=false and schedulable=false, unpinning and unscheduling the job."""
    shell = alice_shell
    assert shell.run("%%sqlflow_submit --on-top --schedule '0 1 * * *'\nselect a from t").success
    job_id = shell.ns["sqlflow_job_id"]
    client = shell.magics.connections.client(shell.magics.effective_settings())

    def pin_and_schedule():
        summary = client.job_summary(job_id)
        return summary.on_top, summary.schedulable, summary.other.get("cronExpression")

    assert pin_and_schedule() == (True, True, "0 1 * * *")
    assert shell.run(f"%%sqlflow_submit --job-id {job_id}\nselect b from t").success
    assert pin_and_schedule() == (True, True, "0 1 * * *")
    assert shell.run(f"%%sqlflow_submit --job-id {job_id} --no-pin --no-schedule\nselect c from t").success
    assert pin_and_schedule()[:2] == (False, False)
    preview = shell.run(f"%%sqlflow_submit --job-id {job_id} --dry-run\nselect d from t").outputs[0]["text/plain"]
    assert "onTop" not in preview and "schedulable" not in preview


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("%%sqlflow_submit --on-top --no-pin\nselect 1", ["contradict", "one of them"]),
        ("%%sqlflow_submit --schedule '0 1 * * *' --no-schedule\nselect 1", ["contradict"]),
        ("%%sqlflow_submit\n   \n", ["cell is empty", "--file"]),
        ("%sqlflow_submit -d mssql", ["sends files only", "--file"]),
        ("%%sqlflow_submit -d oracel\nselect 1", ["unknown dbvendor 'oracel'", "dbvoracle"]),
        ("%%sqlflow_submit --no-such-option\nselect 1", ["unrecognized option --no-such-option", "--no-pin?"]),
        ("%%sqlflow_submit --job-id\nselect 1", ["expected one argument"]),
        ("%%sqlflow_submit --job-id 1234\nselect 1", ["malformed jobId", "32 hex"]),
        ("%%sqlflow_submit --schedule 'every day'\nselect 1", ["cron", "0 1 * * *"]),
        ("%%sqlflow_submit --port http\nselect 1", ["port must be a number"]),
        ("%%sqlflow_submit --file /no/such/*.sql\nselect 1", ["matches no file"]),
        ("%%sqlflow_submit --var 2bad\nselect 1", ["not a Python variable name"]),
        ("%%sqlflow_submit --password hunter2\nselect 1", ["--password-env"]),
        ("%%sqlflow_submit --no-incremental\nselect 1", ["needs --job-id"]),
        ("%%sqlflow_submit --password-env NO_SUCH_ENV_VAR_X\nselect 1", ["not set"]),
    ],
)
def test_usage_errors_fail_the_cell_and_keep_the_saved_job(alice_shell, cell, words):
    shell = alice_shell
    assert shell.run("%%sqlflow_submit\nselect 1").success
    saved_id, saved_job = shell.ns["sqlflow_job_id"], shell.ns["sqlflow_job"]
    run = shell.run(cell)
    assert not run.success
    message = run.stderr.strip()
    assert message.startswith("UsageError:") and len(message.splitlines()) == 1, message
    for word in words:
        assert word in message
    assert "hunter2" not in run.text()
    assert shell.ns["sqlflow_job_id"] == saved_id and shell.ns["sqlflow_job"] is saved_job


def test_unknown_job_is_an_error_that_keeps_the_saved_job(alice_shell):
    shell = alice_shell
    assert shell.run("%%sqlflow_submit\nselect 1").success
    saved_id = shell.ns["sqlflow_job_id"]
    run = shell.run("%%sqlflow_submit -j 0123456789abcdef0123456789abcdef\nselect 1")
    assert not run.success
    assert run.stdout.strip().startswith("JobNotFoundError:") and len(run.stdout.strip().splitlines()) == 1
    assert shell.ns["sqlflow_job_id"] == saved_id


def test_wrong_secret_key_fails_without_showing_it(alice_shell, monkeypatch):
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", "sk-wrong-1234567")
    run = alice_shell.run("%%sqlflow_submit\nselect 1")
    assert not run.success and "AuthenticationError" in run.stdout
    assert "sk-wrong-1234567" not in run.text() and ALICE_SECRET not in run.text()
    assert "sqlflow_job_id" not in alice_shell.ns


def test_dry_run_sends_nothing_and_masks_secrets(alice_shell, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "pw-for-the-db-42")
    shell = alice_shell
    run = shell.run("%%sqlflow_submit --dry-run --password-env WAREHOUSE_PASSWORD -n dry\nselect 1")
    assert run.success, run.text()
    text = run.text()
    assert "Dry run, nothing sent" in text and "submitPersistJob" in text and "cell.sql (9 bytes)" in text
    assert "pw-for-the-db-42" not in text and ALICE_SECRET not in text and "********" in text
    assert "sqlflow_job_id" not in shell.ns
    client = shell.magics.connections.client(shell.magics.effective_settings())
    assert all(job.job_name != "dry" for job in client.jobs_summary().jobs)


def test_dry_run_on_the_embedded_default_starts_no_server(shell):
    assert shell.run("%%sqlflow_submit --dry-run\nselect 1").success
    assert shell.magics.connections._server is None


def test_magic_returns_none(alice_shell):
    assert alice_shell.ip.run_cell_magic("sqlflow_submit", "", "select 1") is None


def test_incremental_cells_get_distinct_file_names(alice_shell):
    shell = alice_shell
    for n in range(3):
        assert shell.run(f"%%sqlflow_submit {'-j $sqlflow_job_id' if n else ''}\nselect {n}").success
    assert shell.ns["sqlflow_job"].file_names == ("cell.sql", "cell-2.sql", "cell-3.sql")


def test_dry_run_of_an_incremental_submit_shows_the_jobs_vendor(alice_shell):
    shell = alice_shell
    assert shell.run("%%sqlflow_submit -d spark\nselect 1").success
    run = shell.run("%%sqlflow_submit --dry-run -j $sqlflow_job_id\nselect 2")
    text = run.outputs[0]["text/plain"]
    assert "dbvsparksql" in text and "cell-2.sql" in text and "incremental" in text


def test_dry_run_on_the_onprem_user_shows_the_placeholder_token_as_what_it_is(shell):
    text = shell.run("%%sqlflow_submit --dry-run\nselect 1").outputs[0]["text/plain"]
    row = next(line for line in text.splitlines() if line.startswith("token "))
    assert row.split(None, 1)[1] == "token (the on-premise user's placeholder, not a secret)"


def test_negative_timeouts_are_refused_by_config(shell, caplog):
    shell.run("%config SQLFlowMagics.connect_timeout = -5")
    assert shell.magics.connect_timeout is None and "must be positive" in caplog.text


def test_password_prompt_without_a_keyboard_says_what_to_use(alice_shell, monkeypatch):
    import getpass

    from IPython.core.error import StdinNotImplementedError

    def no_stdin(prompt=""):
        raise StdinNotImplementedError("getpass was called, but this frontend does not support input requests.")

    monkeypatch.setattr(getpass, "getpass", no_stdin)
    run = alice_shell.run("%%sqlflow_submit --password-prompt\nselect 1")
    assert not run.success and "use --password-env ENV_VAR" in run.stderr
    run = alice_shell.run("%sqlflow_login alice@example.com")
    assert not run.success and "SQLFLOW_SECRET_KEY" in run.stderr
