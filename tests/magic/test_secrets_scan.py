"""A whole session with a known secret key, token and database password: none of them may show anywhere.

Scanned: every stdout/stderr text and rich output, every widget's state, every exception's text,
every log record, and a notebook executed by nbclient and saved to disk.
"""

from __future__ import annotations

import getpass
import logging

import nbformat
from nbclient import NotebookClient

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.settings import ClientSettings
from tests.conftest import ALICE, ALICE_SECRET

DB_PASSWORD = "db-pw-Quartz-8812"


def known_token(server) -> str:
    with SQLFlowClient(ClientSettings(server.url, user_id=ALICE, secret_key=ALICE_SECRET)) as client:
        return client.generate_token().reveal()


def widget_states() -> list[dict]:
    from ipywidgets.widgets.widget import _instances

    return [w.get_state() for w in list(_instances.values())]


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret leaked: {secret[:4]}..."


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


def test_an_executed_saved_notebook_leaks_nothing(local_server, tmp_path):
    token = known_token(local_server)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext sqlflow_magic"),
        nbformat.v4.new_code_cell("%sqlflow_config"),
        nbformat.v4.new_code_cell("%%sqlflow_submit -d mssql --password-env WAREHOUSE_PW\nselect a from t"),
        nbformat.v4.new_code_cell("%%sqlflow_submit --dry-run --password-env WAREHOUSE_PW\nselect 1"),
        nbformat.v4.new_code_cell("sqlflow_job"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env_cell = nbformat.v4.new_code_cell(
        "import os\n"
        f"os.environ.update(SQLFLOW_URL={local_server.url!r}, SQLFLOW_USER_ID={ALICE!r})\n"
        "os.environ['SQLFLOW_SECRET_KEY'] = open(os.environ['SECRET_FILE']).read()\n"
        "os.environ['WAREHOUSE_PW'] = open(os.environ['PW_FILE']).read()")
    nb.cells.insert(0, env_cell)
    (tmp_path / "secret").write_text(ALICE_SECRET)
    (tmp_path / "pw").write_text(DB_PASSWORD)
    import os

    os.environ["SECRET_FILE"], os.environ["PW_FILE"] = str(tmp_path / "secret"), str(tmp_path / "pw")
    try:
        NotebookClient(nb, timeout=60, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        del os.environ["SECRET_FILE"], os.environ["PW_FILE"]
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    assert "application/vnd.jupyter.widget-view+json" in text and "SQLFlow job" in text
    assert_clean(text, [ALICE_SECRET, token, DB_PASSWORD])
