"""Headless runs in a real kernel (nbclient, as papermill and nbval run notebooks): a failed job stops the
run, and what is saved is the static panel, never a widget view."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.support.fault_server import FAILED, fault_server, scripted

pytestmark = pytest.mark.notebook

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def kernel_env(monkeypatch, tmp_path):
    for name in ("SQLFLOW_URL", "SQLFLOW_USER_ID", "SQLFLOW_SECRET_KEY", "SQLFLOW_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_nbclient_run_fails_on_a_failed_job(kernel_env, monkeypatch):
    with fault_server(scripted(FAILED)) as server:
        monkeypatch.setenv("SQLFLOW_URL", server.url)
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%load_ext sqlflow_magic"),
                                                   nbformat.v4.new_code_cell("%%sqlflow_submit --wait\nSELEC 1"),
                                                   nbformat.v4.new_code_cell("never = 'run'")])
        client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(kernel_env)}})
        with pytest.raises(CellExecutionError, match="JobFailedError"):
            client.execute()
    assert notebook.cells[2].get("execution_count") is None  # the run stopped at the failed job


def test_nbclient_saves_the_static_panel_not_the_widget(kernel_env, monkeypatch):
    with fault_server(scripted({"status": "success"})) as server:
        monkeypatch.setenv("SQLFLOW_URL", server.url)
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%load_ext sqlflow_magic"),
                                                   nbformat.v4.new_code_cell("%%sqlflow_submit --wait\nSELECT 1")])
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(kernel_env)}}).execute()
    [output] = notebook.cells[1].outputs
    assert WIDGET not in output["data"] and "Status" in output["data"]["text/html"]
    assert "Finished" in output["data"]["text/plain"]


def test_nbclient_earlier_panels_of_a_job_turn_static_when_a_later_cell_sees_it_finish(kernel_env, monkeypatch):
    with fault_server(scripted({"status": "success"})) as server:
        monkeypatch.setenv("SQLFLOW_URL", server.url)
        cells = ["%load_ext sqlflow_magic", "%%sqlflow_submit\nSELECT 1",
                 "%%sqlflow_submit --job-id $sqlflow_job_id --filename more.sql\nSELECT 2", "%sqlflow_status --wait"]
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
        NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=False,
                       resources={"metadata": {"path": str(kernel_env)}}).execute()
    panels = [output for cell in notebook.cells[1:] for output in cell.outputs]
    assert len(panels) == 3 and not [p for p in panels if WIDGET in p["data"]], "a widget view left in the notebook"
    for earlier in panels[:2]:  # were live (status create), brought up to date by the --wait of the last cell
        assert "Status   success" in earlier["data"]["text/plain"], earlier["data"]["text/plain"]
        assert "by a later cell: success" in earlier["data"]["text/plain"]
    assert "Status   success" in panels[2]["data"]["text/plain"]
