"""A notebook executed by nbclient and saved to disk, with a known secret key, token and database password:
none of them may show in the file, in any encoding (the session itself is scanned in
``tests/magic/test_secrets_scan.py``). Once with the local server, once with a server that echoes every
request in every encoding (``tests/support/fault_server.py``)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.fault_server import echoing_server
from tests.support.secrets_scan import DB_PASSWORD, assert_clean, known_token
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.notebook


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


def test_a_saved_notebook_of_a_session_with_a_server_that_echoes_every_request_leaks_nothing(tmp_path):
    from tests.magic.test_secrets_scan import ECHO_KEY, ECHO_PASSWORD, ECHO_TOKEN

    (tmp_path / "secret").write_text(ECHO_KEY)
    (tmp_path / "pw").write_text(ECHO_PASSWORD)
    with echoing_server(ECHO_TOKEN) as server:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in [
            "import os\n"
            f"os.environ.update(SQLFLOW_URL={server.url!r}, SQLFLOW_USER_ID='echo-user')\n"
            f"os.environ['SQLFLOW_SECRET_KEY'] = open({str(tmp_path / 'secret')!r}, encoding='utf-8').read()\n"
            f"os.environ['WAREHOUSE_PW'] = open({str(tmp_path / 'pw')!r}, encoding='utf-8').read()",
            "%load_ext sqlflow_magic", "%xmode Verbose",
            "%%sqlflow_submit -d mssql --password-env WAREHOUSE_PW --wait\nselect a from t",
            "%sqlflow_status", "%sqlflow_jobs", "%sqlflow_lineage",
            "%%sqlflow_submit -j $sqlflow_job_id --password-env WAREHOUSE_PW\nselect b from t",  # left live
            "sqlflow_job"]]
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in text and "JobFailedError" in text and "ServerError" in text
    assert_clean(text, [ECHO_KEY, ECHO_TOKEN, ECHO_PASSWORD])
    widgets = str(nb.metadata["widgets"])  # the live panel's widget state, saved by nbclient
    assert "SQLFlow job" in widgets and "secretKey=********" in widgets  # the server's echoes, scrubbed
