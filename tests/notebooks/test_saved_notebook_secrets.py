"""A notebook executed by nbclient and saved to disk, with a known secret key, token and database password:
none of them may show in the file (the session itself is scanned in ``tests/magic/test_secrets_scan.py``)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

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
