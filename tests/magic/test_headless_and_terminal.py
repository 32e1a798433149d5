"""Headless runs fail when the job fails; terminals get one panel and a single progress line.

Through ``run_cell`` (the test shell is a terminal IPython: no kernel, so no live widget) and through
nbclient (a real kernel, as papermill and nbval run notebooks).
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.hardening.fault_server import JOB, Answer, fault_server

WIDGET = "application/vnd.jupyter.widget-view+json"
LINEAGE = {"code": 200, "data": {"sqlflow": {"dbvendor": "dbvmssql", "dbobjs": [], "relationships": []}}}


def scripted(final: dict, polls: int = 3):
    """A SQLFlow whose job is ``process`` for ``polls`` summaries, then ``final``."""

    def script(path, n):
        if path == "submitPersistJob":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "create"}})
        if path == "displayUserJobSummary":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "process"} if n <= polls else {**JOB, **final}})
        return Answer(200, LINEAGE)

    return script


FAILED = {"status": "fail", "errorMessage": "no SQL statement could be analysed: syntax error near SELEC"}
PARTIAL = {"status": "partial_success", "errorMessage": "1 problem(s) in the SQL",
           "errors": [{"errorMessage": "syntax error near SELEC", "errorType": "SyntaxError", "coordinates": []}]}


def test_a_failed_job_fails_the_waiting_cell_and_keeps_the_job_id(shell):
    with fault_server(scripted(FAILED)) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        run = shell.run("%%sqlflow_submit --wait\nSELEC 1")
    assert not run.success and type(run.error).__name__ == "JobFailedError"
    line = run.stdout.strip().splitlines()[-1]
    assert line.startswith(f"JobFailedError: job {JOB['jobId']} failed: no SQL statement could be analysed")
    assert shell.ns["sqlflow_job_id"] == JOB["jobId"] and shell.ns["sqlflow_job"].status == "fail"
    [panel] = run.outputs  # the final panel is shown before the cell fails
    assert "Status   fail" in panel["text/plain"] and "syntax error near SELEC" in panel["text/plain"]


def test_a_partial_success_passes_unless_strict(shell):
    with fault_server(scripted(PARTIAL, polls=0)) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        relaxed = shell.run("%%sqlflow_submit --wait\nSELECT 1;\nSELEC 2")
        strict = shell.run("%%sqlflow_submit --wait --strict\nSELECT 1;\nSELEC 2")
        status = shell.run(f"%sqlflow_status {JOB['jobId']} --wait --strict")
        saved = shell.ns["sqlflow_job_id"] = "0" * 32
        alone = shell.run("%%sqlflow_submit --strict\nSELECT 1")
        assert shell.ns["sqlflow_job_id"] == saved  # refused before sending: the saved job id is kept
    assert relaxed.success and "syntax error near SELEC" in relaxed.outputs[-1]["text/plain"]
    assert not strict.success and type(strict.error).__name__ == "JobPartiallyAnalysedError"
    assert "1 statement(s) could not be analysed" in strict.stdout
    assert not status.success and type(status.error).__name__ == "JobPartiallyAnalysedError"
    assert not alone.success and "--strict needs --wait" in alone.stderr


def test_a_terminal_gets_one_progress_line_and_one_panel(shell):
    with fault_server(scripted({"status": "success", "executeTime": "0min 1sec"})) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        run = shell.run("%%sqlflow_submit --wait\nSELECT 1")
        status = shell.run(f"%sqlflow_status {JOB['jobId']}")
    assert run.success, run.text()
    assert len(run.outputs) == 1 and WIDGET not in run.outputs[0]  # one panel, printed once, at the end
    text = run.outputs[0]["text/plain"]
    assert "Status   success" in text and "Finished in 0min 1sec." in text
    assert run.stdout == "" and "\n" not in run.stderr  # progress: one line on stderr, rewritten with \r, cleared
    updates = [part.rstrip() for part in run.stderr.split("\r") if part.strip()]
    assert updates[0].startswith(f"SQLFlow job {JOB['jobId']}: process, waiting for")
    assert len(updates) == 4 and updates[-1].endswith("success")
    assert len(status.outputs) == 1  # a finished job: one panel (it was printed twice)
    assert "Status as of" in status.outputs[0]["text/plain"]


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
