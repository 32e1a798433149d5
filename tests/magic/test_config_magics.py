"""%sqlflow_config and %sqlflow_login."""

from __future__ import annotations

import getpass

import pytest

from sqlflow_magic.magic.effective_settings import Sourced
from sqlflow_magic.server.engine_build import engine_build
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server


def config_rows(shell):
    run = shell.run("%sqlflow_config")
    assert run.success, run.text()
    [bundle] = run.outputs
    lines = bundle["text/plain"].splitlines()[2:]
    return {line.split()[0]: line for line in lines}, bundle


def test_config_shows_values_and_sources(shell, monkeypatch):
    monkeypatch.setenv("SQLFLOW_DBVENDOR", "dbvmssql")
    monkeypatch.setenv("SQLFLOW_USER_ID", "someone@example.com")
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", "sk-config-test-99")
    shell.ip.run_line_magic("config", "SQLFlowMagics.base_url = 'http://sqlflow.internal:8165'")
    rows, bundle = config_rows(shell)
    assert "http://sqlflow.internal:8165/api/gspLive_backend" in rows["base_url"] and "%config" in rows["base_url"]
    assert "dbvmssql" in rows["default_vendor"] and "env SQLFLOW_DBVENDOR" in rows["default_vendor"]
    assert "******** (set)" in rows["secret_key"] and "env SQLFLOW_SECRET_KEY" in rows["secret_key"]
    assert "som…om" in rows["user_id"]
    assert "sk-config-test-99" not in str(bundle) and "someone@example.com" not in str(bundle)


def test_config_on_nothing_says_embedded(shell):
    rows, _ = config_rows(shell)
    assert "embedded local server" in rows["base_url"]


def test_config_names_the_embedded_servers_engine_build(shell):
    rows, _ = config_rows(shell)
    assert rows["lineage_engine"].split(None, 2)[1:] == ["installed", engine_build()]


def test_config_of_a_remote_server_names_no_local_engine(shell):
    shell.ip.run_line_magic("config", "SQLFlowMagics.base_url = 'http://sqlflow.internal:8165'")
    assert "lineage_engine" not in config_rows(shell)[0]


def test_config_writes_the_home_folder_as_a_tilde(shell, monkeypatch, tmp_path):
    home = tmp_path / "home" / "ada.lovelace"
    monkeypatch.setenv("HOME", str(home))
    shell.ip.run_line_magic("config", f"SQLFlowMagics.local_server_db = {str(home / 'jobs' / 'db.sqlite3')!r}")
    rows, bundle = config_rows(shell)
    assert "~/jobs/db.sqlite3" in rows["local_server_db"] and "ada.lovelace" not in str(bundle)
    shell.ip.run_line_magic("config", "SQLFlowMagics.local_server_db = '/srv/sqlflow/db.sqlite3'")
    assert "/srv/sqlflow/db.sqlite3" in config_rows(shell)[0]["local_server_db"]  # elsewhere: as it is


def test_config_takes_no_arguments(shell):
    run = shell.run("%sqlflow_config base_url")
    assert not run.success and "%config SQLFlowMagics" in run.stderr


def test_login_checks_the_key_and_keeps_it_in_memory(shell, local_server, monkeypatch):
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {local_server.url!r}")
    prompts: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": prompts.append(prompt) or ALICE_SECRET)
    run = shell.run(f"%sqlflow_login {ALICE}")
    assert run.success, run.text()
    assert "Logged in" in run.stdout and ALICE_SECRET not in run.text() and ALICE not in prompts[0]
    assert shell.run("%%sqlflow_submit\nselect 1").success
    assert shell.ns["sqlflow_job"].user_id == ALICE
    rows, _ = config_rows(shell)
    assert "%sqlflow_login" in rows["secret_key"]


def test_login_with_a_wrong_key_keeps_nothing(shell, local_server, monkeypatch):
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {local_server.url!r}")
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "sk-wrong-key-000")
    run = shell.run(f"%sqlflow_login {ALICE}")
    assert not run.success and run.stdout.startswith("AuthenticationError:")
    assert "sk-wrong-key-000" not in run.text()
    rows, _ = config_rows(shell)
    assert "(not set)" in rows["secret_key"]


def test_login_refuses_blank_and_padded_keys(shell, monkeypatch):
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": " padded-key ")
    run = shell.run("%sqlflow_login me@example.com")
    assert not run.success and "white space" in run.stderr and "padded-key" not in run.text()
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "")
    assert "no secret key was entered" in shell.run("%sqlflow_login me@example.com").stderr
    assert "give your SQLFlow user id" in shell.run("%sqlflow_login").stderr


def test_settings_follow_each_change_of_an_input(shell, monkeypatch):
    magics = shell.magics
    monkeypatch.delenv("SQLFLOW_DBVENDOR", raising=False)
    assert magics.effective_settings().default_vendor == Sourced("dbvoracle", "default")
    monkeypatch.setenv("SQLFLOW_DBVENDOR", "snowflake")
    assert magics.effective_settings().default_vendor == Sourced("snowflake", "env SQLFLOW_DBVENDOR")
    shell.ip.run_line_magic("config", "SQLFlowMagics.read_timeout = 5")
    assert magics.effective_settings().read_timeout == Sourced(5.0, "%config")


def test_a_bad_default_vendor_is_flagged_at_once(shell, monkeypatch):
    monkeypatch.setenv("SQLFLOW_DBVENDOR", "oracel")
    text = shell.run("%sqlflow_config").outputs[0]["text/plain"]
    problem = next(line for line in text.splitlines() if line.startswith("PROBLEM"))
    assert "unknown dbvendor 'oracel': did you mean 'dbvoracle'" in problem and "env SQLFLOW_DBVENDOR" in problem


def test_config_shows_the_client_limits_in_force_and_where_each_comes_from(shell, monkeypatch):
    monkeypatch.setenv("SQLFLOW_REQUEST_DEADLINE", "90")
    shell.ip.run_line_magic("config", f"SQLFlowMagics.max_answer_bytes = {64 * 1024 * 1024}")
    rows, _ = config_rows(shell)
    assert "90 s per call" in rows["request_deadline"] and "env SQLFLOW_REQUEST_DEADLINE" in rows["request_deadline"]
    assert "64 MiB per answer" in rows["max_answer_bytes"] and "%config" in rows["max_answer_bytes"]
    assert "10 s per connect" in rows["connect_timeout"] and "default" in rows["connect_timeout"]
    assert "120 s per read" in rows["read_timeout"] and "default" in rows["read_timeout"]
    assert "3 (only where" in rows["max_retries"] and "default" in rows["max_retries"]


def test_an_unusable_limit_in_the_environment_is_named_with_its_fix(shell, monkeypatch):
    monkeypatch.setenv("SQLFLOW_MAX_ANSWER_BYTES", "lots")
    rows, _ = config_rows(shell)
    assert "256 MiB" in rows["max_answer_bytes"]
    assert "env SQLFLOW_MAX_ANSWER_BYTES is unusable" in rows["max_answer_bytes"]
    assert "max_answer_bytes must be a positive number, not 'lots'" in rows["PROBLEM"]
    run = shell.run("%sqlflow_jobs")
    assert not run.success and "SQLFLOW_MAX_ANSWER_BYTES=536870912" in run.text()
