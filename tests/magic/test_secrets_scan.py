"""A whole session with a known secret key, token and database password: none of them may show anywhere.

Scanned: every stdout/stderr text and rich output, every widget's state, every exception's text,
every log record; a notebook executed by nbclient and saved to disk is scanned in
``tests/notebooks/test_saved_notebook_secrets.py``.
"""

from __future__ import annotations

import getpass
import logging

import pytest

from tests.support.secrets_scan import DB_PASSWORD, assert_clean, known_token, widget_states
from tests.support.users import ALICE_SECRET

pytestmark = pytest.mark.server

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
    runs = [shell.run(cell) for cell in cells]
    assert [r.success for r in runs] == [True, True, True, True, True, True, False, False, False, False, True, True,
                                         True, True, True, True, True, False, True, False]  # a failed job; deleted
    everything = [r.text() for r in runs] + [repr(r.error) + str(r.error) for r in runs if r.error]
    everything += [str(state) for state in widget_states()]
    everything += [record.getMessage() + str(record.args) for record in caplog.records]
    everything += [repr(shell.magics.connections.client(shell.magics.effective_settings()))]
    everything += [repr(shell.magics.effective_settings()), repr(shell.ns["sqlflow_job"])]
    everything += [path.read_text() for path in tmp_path.glob("lineage.*")]
    assert len(everything) > 40
    for line in everything:
        # the two refused cells echo the secret in their source, which IPython keeps: only outputs count
        assert_clean(line.replace(f"--password {DB_PASSWORD}", "").replace(f"--secret-key {ALICE_SECRET}", ""),
                     secrets)
    panel_states = [s for s in widget_states() if "SQLFlow job" in str(s.get("job_html", ""))]
    assert panel_states, "the panel's widget state was scanned"
