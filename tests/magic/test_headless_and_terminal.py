"""Headless runs fail when the job fails; terminals get one panel and a single progress line.

Through ``run_cell`` (the test shell is a terminal IPython: no kernel, so no live widget); the same
through nbclient, in a real kernel, is in ``tests/notebooks/test_headless_runs.py``.
"""

from __future__ import annotations

import pytest

from tests.support.fault_server import FAILED, JOB, fault_server, scripted

pytestmark = pytest.mark.server

WIDGET = "application/vnd.jupyter.widget-view+json"
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
