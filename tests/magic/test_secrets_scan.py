"""A whole session with a known secret key, token and database password: none of them may show anywhere,
in any encoding (``tests/support/secrets_scan.py`` decodes URL, form, JSON, HTML, base64 and base64url).

Scanned: every stdout/stderr text and rich output, every widget's state, every exception's text,
every log record; a notebook executed by nbclient and saved to disk is scanned in
``tests/notebooks/test_saved_notebook_secrets.py``. Once with the local server, once with a server that
echoes every request it got, in every encoding, in its errors and in its job summaries
(``tests/support/fault_server.py``).
"""

from __future__ import annotations

import getpass
import logging

import pytest
from IPython.utils.capture import capture_output

from tests.support.fault_server import JOB, Answer, echoes, echoing_server, fault_server
from tests.support.secrets_scan import DB_PASSWORD, assert_clean, known_token, leaks, widget_states
from tests.support.shell import widget_by_id
from tests.support.users import ALICE_SECRET

pytestmark = pytest.mark.server
WIDGET = "application/vnd.jupyter.widget-view+json"

def test_a_whole_session_leaks_nothing(alice_shell, monkeypatch, caplog, tmp_path):
    shell = alice_shell
    token = known_token(shell.server)
    secrets = [ALICE_SECRET, token, DB_PASSWORD]
    monkeypatch.setenv("WAREHOUSE_PW", DB_PASSWORD)
    monkeypatch.setenv("SQLFLOW_TOKEN", token)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": ALICE_SECRET)
    caplog.set_level(logging.DEBUG)
    shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")  # widgets too, as in JupyterLab
    cells = [
        "%sqlflow_config",
        "%sqlflow_login alice@example.com",
        "%sqlflow_config",
        "%%sqlflow_submit -d mssql --password-env WAREHOUSE_PW --hostname db --account sa\nselect a from t",
        "%%sqlflow_submit -j $sqlflow_job_id --password-prompt\nselect b from t",
        "%%sqlflow_submit --dry-run --password-env WAREHOUSE_PW\nselect 1",
        f"%%sqlflow_submit --password {DB_PASSWORD}\nselect 1",
        f"%%sqlflow_submit --secret-key {ALICE_SECRET}\nselect 1",
        "%%sqlflow_submit -j 0123456789abcdef0123456789abcdef\nselect 1",
        "%%sqlflow_submit -d nonsense\nselect 1",
        "sqlflow_job",
        "print(repr(sqlflow_job), str(sqlflow_job))",
        "%sqlflow_status --wait",
        "%sqlflow_jobs",
        f"%sqlflow_lineage --show --out {tmp_path}/lineage.json",
        f"%sqlflow_lineage --format csv --out {tmp_path}/lineage.csv",
        f"%sqlflow_lineage --format graphml --out {tmp_path}/lineage.graphml",
        "%%sqlflow_submit --wait -d mssql --password-env WAREHOUSE_PW\nselect broken syntax here (",
        "%sqlflow_delete $sqlflow_job_id --yes",
        "%sqlflow_status",
    ]
    runs, states = [], []
    for cell in cells:  # the widget states as each cell leaves them: a panel whose job ends turns static
        runs.append(shell.run(cell))
        states += [state for state in widget_states() if str(state) not in map(str, states)]
    assert [r.success for r in runs] == [True, True, True, True, True, True, False, False, False, False, True, True,
                                         True, True, True, True, True, False, True, False]  # a failed job; deleted
    everything = [r.text() for r in runs] + [repr(r.error) + str(r.error) for r in runs if r.error]
    everything += [str(state) for state in states]
    everything += [record.getMessage() + str(record.args) for record in caplog.records]
    everything += [repr(shell.magics.connections.client(shell.magics.effective_settings()))]
    everything += [repr(shell.magics.effective_settings()), repr(shell.ns["sqlflow_job"])]
    everything += [path.read_text() for path in tmp_path.glob("lineage.*")]
    assert len(everything) > 40
    for line in everything:
        # the two refused cells echo the secret in their source, which IPython keeps: only outputs count
        assert_clean(line.replace(f"--password {DB_PASSWORD}", "").replace(f"--secret-key {ALICE_SECRET}", ""),
                     secrets)
    panel_states = [s for s in states if "SQLFlow job" in str(s.get("job_html", ""))]
    assert panel_states, "the panel's widget state was scanned"


ECHO_KEY = "s3cr+t/Kéy=\"<&>'9"  # each of them changes in each encoding
ECHO_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlY2hvIn0.c2ln-bmF0_dXJl"
ECHO_PASSWORD = 'Quartz pw/8812&x="é'


def test_a_server_that_echoes_every_request_in_every_encoding_leaks_nothing(shell, monkeypatch, caplog):
    secrets = [ECHO_KEY, ECHO_TOKEN, ECHO_PASSWORD]
    monkeypatch.setenv("SQLFLOW_USER_ID", "echo-user")
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", ECHO_KEY)
    monkeypatch.setenv("ECHO_PW", ECHO_PASSWORD)
    caplog.set_level(logging.DEBUG)
    shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    with echoing_server(ECHO_TOKEN) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        runs = [shell.run("%xmode Verbose"),
                shell.run("%%sqlflow_submit -d mssql --password-env ECHO_PW --hostname db --account sa\nselect a")]
        panel = widget_by_id(runs[-1].outputs[0][WIDGET]["model_id"])
        states = [str(panel.get_state())]
        with capture_output() as refreshed:
            panel._handle_custom_msg({"event": "refresh"}, [])  # Refresh clicked: the job runs, then fails
            states.append(str(panel.get_state()))
            panel._handle_custom_msg({"event": "refresh"}, [])
        runs += [shell.run(cell) for cell in [
            "%sqlflow_status", "%sqlflow_status --wait",
            "%%sqlflow_submit -j $sqlflow_job_id --password-env ECHO_PW --wait\nselect b",
            "%sqlflow_jobs", "%sqlflow_lineage", "%sqlflow_lineage --format csv", "%sqlflow_delete $sqlflow_job_id -y",
            "sqlflow_job", "print(repr(sqlflow_job), str(sqlflow_job))",
            "%%sqlflow_submit --dry-run --password-env ECHO_PW --extra 'jdbc:oracle:thin:scott/pw5@db'\nselect 1"]]
    echoed = " ".join(echoes(server.bodies))
    for secret in secrets:  # the server did echo each secret, in each form
        assert {"raw", "URL-encoded", "JSON-escaped", "HTML-escaped", "base64 (raw)"} <= set(leaks(echoed, secret))
    assert [r.success for r in runs] == [True, True, True, False, False, True, False, False, False, True, True, True]
    assert "JobFailedError: job" in runs[3].stdout and "cannot analyse: " in runs[3].stdout  # one line, under Verbose
    everything = [r.text() for r in runs] + [repr(r.error) + str(r.error) for r in runs if r.error]
    everything += states + [str(o.data) for o in refreshed.outputs] + [str(state) for state in widget_states()]
    everything += [record.getMessage() + str(record.args) for record in caplog.records]
    assert "SQLFlow job" in states[0] and "Problems" in everything[3] and len(everything) > 30
    for text in everything:
        assert_clean(text, secrets)
    assert "scott/********@db" in runs[-1].text()  # --dry-run shows a credential in --extra masked too


def test_a_database_password_the_server_quotes_in_a_jdbc_url_is_masked_however_short(shell, monkeypatch):
    for password in ("tg5!", "tiger-Quartz-77"):  # short: masked as a credential; long: also wherever it shows
        quoted = f"cannot read the metadata: jdbc:oracle:thin:scott/{password}@db:1521:orcl refused"

        def script(path: str, n: int, quoted=quoted, password=password) -> Answer:
            if path == "submitPersistJob":
                return Answer(200, {"code": 200, "data": {**JOB, "status": "create"}})
            if path == "displayUserJobSummary":
                return Answer(200, {"code": 200, "data": {**JOB, "status": "fail", "errorMessage": quoted,
                                                          "errors": [{"errorMessage": f"{quoted} ({password})"}]}})
            return Answer(500, {"code": 500, "error": quoted})

        monkeypatch.setenv("WAREHOUSE_PW", password)
        with fault_server(script) as server:
            shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
            runs = [shell.run(cell) for cell in ("%%sqlflow_submit --password-env WAREHOUSE_PW --wait\nselect 1",
                                                 "%sqlflow_status", "%sqlflow_lineage")]
        assert [r.success for r in runs] == [False, True, False]
        assert "jdbc:oracle:thin:scott/********@db:1521:orcl refused" in runs[0].stdout + runs[2].stdout
        shown = "".join(r.text() + str(r.error) for r in runs)
        assert f"scott/{password}@" not in shown and "scott/********@" in runs[1].text()  # the panel too
        assert (password in shown) is (len(password) < 6)  # alone, a short one is left: by value it would mask words
