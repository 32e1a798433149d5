"""Faults as a notebook cell meets them: each is survived with a clear one-line message, and nothing is
lost (the saved job id stays, no panel is left open, a submit is not re-sent).

Real servers throughout, no mocks: the local SQLFlow server (stopped, restarted) and the scripted fault
server (``tests/support/fault_server.py``) for errors, silence and resets. Each kind of fault, its
typed error and its retries are tested once, at the client, in ``test_client_faults.py``; here only
what the cell adds.
"""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from sqlflow_magic.client import errors
from sqlflow_magic.server import EmbeddedServer
from tests.support.fault_server import JOB, Answer, fault_server

pytestmark = pytest.mark.server

SUBMIT = "%%sqlflow_submit -d mssql\nselect 1"


def one_line(run) -> str:
    """The failed cell's one line of error (a terminal's progress line, rewritten in place with \r, left out)."""
    stderr = "".join(part for part in run.stderr.split("\r") if not part.startswith("SQLFlow job ")).strip()
    text = (run.stdout + stderr).strip()
    assert not run.success and len(text.splitlines()) == 1, text
    return text


def saved(shell):
    return shell.ns.get("sqlflow_job_id"), shell.ns.get("sqlflow_job")


@pytest.fixture
def submitted(alice_shell):
    assert alice_shell.run("%%sqlflow_submit -d mssql -n keep\nselect a from t").success
    return alice_shell


def panel_widgets() -> set[str]:
    from ipywidgets.widgets.widget import _instances

    return {key for key, widget in _instances.items() if type(widget).__name__ == "JobPanelWidget"}


def point_at(shell, url, retries=3):
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {url!r}")
    shell.ip.run_line_magic("config", f"SQLFlowMagics.max_retries = {retries}")


# 1 ------------------------------------------------------------------------------------------------
def test_server_down_from_the_start(shell):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_at(shell, f"http://127.0.0.1:{port}", retries=1)
    assert "ServerUnreachableError: cannot connect" in one_line(shell.run(SUBMIT))
    assert saved(shell) == (None, None)


# 2 ------------------------------------------------------------------------------------------------
def test_connection_refused_mid_session_then_back(submitted, server_config):
    job_id, job = saved(submitted)
    submitted.server.stop()
    submitted.ip.run_line_magic("config", "SQLFlowMagics.max_retries = 1")
    assert "ServerUnreachableError" in one_line(submitted.run("%sqlflow_status"))
    assert "ServerUnreachableError" in one_line(submitted.run("%%sqlflow_submit -j $sqlflow_job_id\nselect 2"))
    assert saved(submitted) == (job_id, job)
    restarted = EmbeddedServer(server_config).start()
    try:
        point_at(submitted, restarted.url)
        assert submitted.run("%%sqlflow_submit -j $sqlflow_job_id\nselect 2").success
        assert submitted.ns["sqlflow_job"].job_id == job_id
    finally:
        restarted.stop()


# 3 ------------------------------------------------------------------------------------------------
def test_read_timeout_on_a_status_call_and_on_a_submit(submitted):
    with fault_server(lambda path, n: Answer(silent=True)) as server:
        point_at(submitted, server.url)
        submitted.ip.run_line_magic("config", "SQLFlowMagics.read_timeout = 0.5")
        assert "RequestTimeoutError" in one_line(submitted.run("%sqlflow_status"))
        before = saved(submitted)
        text = one_line(submitted.run(SUBMIT))
        assert "SubmitOutcomeUnknownError" in text and "%sqlflow_jobs" in text
        assert server.requests.count("submitPersistJob") == 1, "a submit that may have landed is never re-sent"
        assert saved(submitted) == before


# 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("answer", "error_name"), [
    (Answer(200, {"code": 401, "error": "bad user"}), "AuthenticationError"),
    (Answer(200, {"code": 403, "error": "expired"}), "TokenExpiredError"),
    (Answer(200, {"code": 404, "error": "no job"}), "JobNotFoundError"),
    (Answer(200, {"code": 410, "error": "old"}), "IncompatibleJobError"),
    (Answer(200, {"code": 412, "error": "licence"}), "LicenseError"),
    (Answer(200, {"code": 426, "error": "premium"}), "PremiumAccountError"),
    (Answer(429, {"code": 429, "error": "slow"}), "RateLimitedError"),
    (Answer(200, {"code": 400, "error": "bad field"}), "RequestRejectedError"),
    (Answer(500, {"code": 500, "error": "internal error"}), "ServerError"),
    (Answer(502, b"<html>Bad Gateway</html>", {"content-type": "text/html"}), "BadResponseError"),
    (Answer(hang_up=True), "SubmitOutcomeUnknownError"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_error_is_one_line_and_a_failed_cell(submitted, answer, error_name):
    with fault_server(lambda path, n: answer) as server:
        point_at(submitted, server.url, retries=0)
        before, panels = saved(submitted), panel_widgets()
        run = submitted.run("%%sqlflow_submit --job-id $sqlflow_job_id\nselect 2")
        assert isinstance(run.error, errors.SQLFlowError) and type(run.error).__name__ == error_name
        assert one_line(run).startswith(f"{error_name}: ")
        # only a refused token is sent again, once, with a new token: the server did not take the first
        assert server.requests.count("submitPersistJob") == (2 if error_name == "TokenExpiredError" else 1)
        assert saved(submitted) == before
        assert panel_widgets() == panels  # the widget made while the server worked was closed, not left open


# 5 ------------------------------------------------------------------------------------------------
def test_connection_reset_during_a_large_upload(submitted, tmp_path):
    big = tmp_path / "big.sql"
    big.write_bytes(b"insert into t select * from s;\n" * 400_000)  # 12 MB
    with fault_server(lambda path, n: Answer(reset=True)) as server:
        point_at(submitted, server.url)
        before = saved(submitted)
        text = one_line(submitted.run(f"%%sqlflow_submit -f {big}\nselect 1"))
        assert "SubmitOutcomeUnknownError" in text and "connection broke" in text
        assert server.requests.count("submitPersistJob") == 1
        assert saved(submitted) == before


# 6 ------------------------------------------------------------------------------------------------
def test_slow_server_and_ctrl_c_while_waiting(shell):
    interrupts: list[threading.Timer] = []

    def slow(path, n):
        if path == "submitPersistJob":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "create"}})
        if n >= 2:  # the cell is waiting now: Ctrl-C while the answer is on its way, again if it was lost
            # (a KeyboardInterrupt raised in a finaliser that happens to run then is ignored by Python)
            interrupts.append(threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)))
            interrupts[-1].start()
        return Answer(200, {"code": 200, "data": JOB}, delay=0.2)

    # Ctrl-C as a terminal or a kernel delivers it, whatever handler an earlier test left behind
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    with fault_server(slow) as server:
        point_at(shell, server.url)
        shell.ip.run_line_magic("config", "SQLFlowMagics.max_wait = 30")  # a lost Ctrl-C fails in 30 s, not 600
        try:
            run = shell.run(f"{SUBMIT.splitlines()[0]} --wait\nselect 1")
        finally:
            for timer in interrupts:
                timer.cancel()
            signal.signal(signal.SIGINT, previous)
        text = one_line(run)
        assert text.startswith("WaitInterruptedError: stopped waiting for job c359aef4bd9641d697732422debd8055")
        assert "%sqlflow_status c359aef4bd9641d697732422debd8055 --wait" in text
        assert shell.ns["sqlflow_job_id"] == JOB["jobId"], "the job id is kept"
        assert server.requests.count("displayUserJobSummary") >= 2


# 7 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [Answer(200, b"not gzip", {"content-encoding": "gzip"}), Answer(hang_up=True)],
                         ids=["bad-content-encoding", "hang-up"])
def test_a_verbose_traceback_shows_no_secret(shell, monkeypatch, answer):
    """``%xmode Verbose`` shows every frame's locals: a failed submit still shows one line, and no secret."""
    secrets = {"SQLFLOW_SECRET_KEY": "sk-verbose-0123456789", "SQLFLOW_TOKEN": "tok.verbose.0123456789",
               "WAREHOUSE_PW": "pw-verbose-0123456789"}
    for name, value in {**secrets, "SQLFLOW_USER_ID": "alice@example.com"}.items():
        monkeypatch.setenv(name, value)
    mode = shell.ip.InteractiveTB.mode
    with fault_server(lambda path, n: answer) as server:
        point_at(shell, server.url, retries=0)
        shell.ip.run_line_magic("xmode", "Verbose")
        try:
            run = shell.run(f"{SUBMIT.splitlines()[0]} --password-env WAREHOUSE_PW --hostname db\nselect 1")
        finally:
            shell.ip.run_line_magic("xmode", mode)
    text = run.text() + one_line(run)
    assert not [name for name, value in secrets.items() if value in text], text


def test_ctrl_c_during_a_submit_under_verbose_shows_no_secret(shell, monkeypatch):
    """Ctrl-C while the submit is on its way: the interrupt's traceback shows no frame holding a secret."""
    secrets = {"SQLFLOW_SECRET_KEY": "sk-interrupt-0123456789", "SQLFLOW_TOKEN": "tok.interrupt.0123456789",
               "WAREHOUSE_PW": "pw-interrupt-0123456789"}
    for name, value in {**secrets, "SQLFLOW_USER_ID": "alice@example.com"}.items():
        monkeypatch.setenv(name, value)
    mode = shell.ip.InteractiveTB.mode
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with fault_server(lambda path, n: Answer(200, {"code": 200, "data": JOB}, delay=5)) as server:
        point_at(shell, server.url, retries=0)
        shell.ip.run_line_magic("xmode", "Verbose")
        interrupt.start()
        try:
            run = shell.run(f"{SUBMIT.splitlines()[0]} --password-env WAREHOUSE_PW --hostname db\nselect 1")
        finally:
            interrupt.cancel()
            signal.signal(signal.SIGINT, previous)
            shell.ip.run_line_magic("xmode", mode)
    text = run.text() + one_line(run) + repr(run.error)
    assert one_line(run).startswith("KeyboardInterrupt: the submit to http://127.0.0.1:"), text
    assert "look for it with %sqlflow_jobs" in one_line(run)
    assert not [name for name, value in secrets.items() if value in text], text
