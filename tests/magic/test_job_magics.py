"""Following jobs from the notebook: --wait, %sqlflow_status, %sqlflow_jobs, %sqlflow_delete, %sqlflow_lineage."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import replace

import networkx
import pandas
import pytest

from tests.support.fault_server import JOB, Answer, fault_server
from tests.support.pictures import picture_svg

pytestmark = pytest.mark.server

WIDGET = "application/vnd.jupyter.widget-view+json"
SVG = "{http://www.w3.org/2000/svg}"
SCRIPT = """%%sqlflow_submit -d mssql -n known --wait
INSERT INTO sales.daily_sales (sale_date, total)
SELECT o.order_date, SUM(o.amount) FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id
GROUP BY o.order_date;
CREATE VIEW rpt.region_totals AS SELECT sale_date, total FROM sales.daily_sales;
INSERT INTO archive.orders SELECT * FROM sales.orders;
"""
EXPECTED_EDGES = {("sales.orders", "sales.daily_sales"), ("sales.customers", "sales.daily_sales"),
                  ("sales.daily_sales", "rpt.region_totals"), ("sales.orders", "archive.orders")}


def final_bundle(run):
    """The last state of the cell's display (nbclient-style: update_display replaces the output)."""
    return run.outputs[-1]


def test_wait_ends_on_success_and_draws_the_lineage(alice_shell):
    alice_shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")  # as in a kernel front end
    run = alice_shell.run(SCRIPT)
    assert run.success, run.text()
    job = alice_shell.ns["sqlflow_job"]
    assert job.status == "success"
    first, bundle = run.outputs[0], final_bundle(run)
    assert WIDGET in first  # live while the job ran ...
    assert WIDGET not in bundle  # ... and its static form in the end: what a saved notebook keeps
    from ipywidgets.widgets.widget import _instances

    assert first[WIDGET]["model_id"] not in _instances  # the live widget is closed
    assert "Status   success" in bundle["text/plain"] and "Finished" in bundle["text/plain"]
    svg = ElementTree.fromstring(picture_svg(bundle))
    boxes = {g.get("data-table") for g in svg.iter(f"{SVG}g") if "sqlflow-table" in (g.get("class") or "")}
    arrows = [(p.get("data-source"), p.get("data-target")) for p in svg.iter(f"{SVG}path")
              if "sqlflow-edge" in (p.get("class") or "")]
    names = {box.lower() for box in boxes}
    assert names == {"sales.orders", "sales.customers", "sales.daily_sales", "rpt.region_totals", "archive.orders"}
    assert {(a.lower(), b.lower()) for a, b in arrows} == EXPECTED_EDGES and len(arrows) == len(EXPECTED_EDGES)


def job_script(polls, status_of_poll):
    """A fault-server script: the submit creates the job, poll n answers ``status_of_poll(n)`` (a status,
    or a status and extra fields), the lineage is empty."""
    def script(path, n):
        if path == "submitPersistJob":
            return Answer(200, {"code": 200, "data": {**JOB, "status": "create"}})
        if path == "displayUserJobSummary":
            polls.append(n)
            answer = status_of_poll(n)
            status, extra = answer if isinstance(answer, tuple) else (answer, {})
            return Answer(200, {"code": 200, "data": {**JOB, "status": status, **extra}})
        return Answer(200, {"code": 200, "data": {"sqlflow": {"dbvendor": "dbvmssql", "dbobjs": [],
                                                              "relationships": []}}})
    return script


def test_waiting_takes_several_polls_and_shows_progress(shell):
    polls = []
    problem = {"errors": [{"errorMessage": "syntax error near GARBAGE", "errorType": "SyntaxError",
                           "coordinates": [{"x": 3, "y": 1}]}]}
    script = job_script(polls, lambda n: "process" if n < 4 else ("partial_success", problem))

    with fault_server(script) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        run = shell.run("%%sqlflow_submit --wait\nselect 1")
    assert run.success, run.text()
    assert polls == [1, 2, 3, 4]
    final = final_bundle(run)["text/plain"]
    assert "partial_success" in final and "line 3, column 1: syntax error near GARBAGE" in final
    assert shell.ns["sqlflow_job"].status == "partial_success"


def test_status_wait_brings_the_saved_job_up_to_date_and_leaves_other_jobs_alone(shell):
    script = job_script([], lambda n: "process" if n < 3 else "success")

    with fault_server(script) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        assert shell.run("%%sqlflow_submit\nselect 1").success
        assert shell.ns["sqlflow_job"].status == "create"
        waited = shell.run("%sqlflow_status --wait")
        assert waited.success, waited.text()
        assert shell.ns["sqlflow_job"].status == "success"
        other = shell.ns["sqlflow_job"] = replace(shell.ns["sqlflow_job"], job_id="f" * 32)
        assert shell.run(f"%sqlflow_status {JOB['jobId']}").success
    assert shell.ns["sqlflow_job"] is other


def test_status_jobs_and_delete(alice_shell):
    shell = alice_shell
    assert shell.run(SCRIPT).success
    job_id = shell.ns["sqlflow_job_id"]
    status = shell.run("%sqlflow_status")
    assert status.success and "success" in status.outputs[-1]["text/plain"]
    assert picture_svg(status.outputs[-1])
    jobs = shell.run("%sqlflow_jobs")
    text = jobs.outputs[0]["text/plain"]
    assert job_id in text and "known" in text and "dbvmssql" in text and "1 success" in text
    refused = shell.run(f"%sqlflow_delete {job_id}")
    assert not refused.success and "--yes" in refused.stderr
    deleted = shell.run(f"%sqlflow_delete {job_id} --yes")
    assert deleted.success and f"Deleted job {job_id}" in deleted.stdout
    assert job_id not in shell.run("%sqlflow_jobs").outputs[0]["text/plain"]


def test_lineage_formats_files_and_variables(alice_shell, tmp_path):
    shell = alice_shell
    assert shell.run(SCRIPT).success
    assert shell.run(f"%sqlflow_lineage --out {tmp_path}/lineage.json").success
    data = shell.ns["sqlflow_lineage"]
    assert data["code"] == 200 and data["data"]["sqlflow"]["relationships"]
    assert json.loads((tmp_path / "lineage.json").read_text()) == data
    assert shell.run(f"%sqlflow_lineage --format csv --var frame --out {tmp_path}/lineage.csv").success
    frame = shell.ns["frame"]
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["source_db", "source_schema", "source_table", "source_column", "target_db",
                                   "target_schema", "target_table", "target_column", "relation_type", "effect_type"]
    assert set(frame["relation_type"]) <= {"fdd", "fdr", "join"}
    assert shell.run(f"%sqlflow_lineage --format graphml --out {tmp_path}/lineage.graphml").success
    graph = networkx.read_graphml(tmp_path / "lineage.graphml")
    assert graph.number_of_edges() > 0
    assert shell.run("%sqlflow_lineage --table-level --var tables --show").success
    table_edges = shell.ns["tables"]["data"]["sqlflow"]["relationships"]
    assert {r["target"]["column"] for r in table_edges} == {"TABLE"}


def test_lineage_of_an_unfinished_job_is_refused(alice_shell):
    shell = alice_shell

    def script(path, n):
        return Answer(200, {"code": 409, "error": "job c359aef4bd9641d697732422debd8055 is still process"})

    with fault_server(script) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        for fmt in ("json", "csv", "graphml"):
            run = shell.run(f"%sqlflow_lineage {JOB['jobId']} --format {fmt}")
            assert not run.success and "still process" in run.stdout and "--wait" in run.stdout
            assert "sqlflow_lineage" not in shell.ns


def test_lineage_without_pandas_is_a_list_of_dicts(alice_shell, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real_import(name, *args, **kwargs)

    assert alice_shell.run(SCRIPT).success
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    assert alice_shell.run("%sqlflow_lineage --format csv").success
    rows = alice_shell.ns["sqlflow_lineage"]
    assert isinstance(rows, list) and rows and set(rows[0]) >= {"source_table", "target_table"}


def test_end_to_end_submit_wait_export_compare(alice_shell):
    """Issue 3's end-to-end check: the exports of a job submitted through the magic match hand-written lineage."""
    shell = alice_shell
    assert shell.run(SCRIPT).success and shell.ns["sqlflow_job"].status == "success"
    assert shell.run("%sqlflow_lineage --table-level --format csv --relations fdd,fdr --var tables").success
    frame = shell.ns["tables"]
    edges = {(f"{r.source_schema}.{r.source_table}".lower(), f"{r.target_schema}.{r.target_table}".lower())
             for r in frame.itertuples()}
    assert edges == EXPECTED_EDGES
    assert shell.run("%sqlflow_lineage --format csv --var frame").success  # the server's default: fdd only
    assert set(shell.ns["frame"].relation_type) == {"fdd"}
    assert shell.run("%sqlflow_lineage --format csv --relations fdd,fdr --var frame").success
    columns = {(r.source_table.lower(), r.source_column.lower(), r.target_table.lower(), r.target_column.lower(),
                r.relation_type) for r in shell.ns["frame"].itertuples()}
    assert ("orders", "amount", "daily_sales", "total", "fdd") in columns
    assert ("orders", "order_date", "daily_sales", "sale_date", "fdd") in columns
    assert ("orders", "customer_id", "daily_sales", "total", "fdr") in columns  # a JOIN condition decides rows
    assert ("daily_sales", "total", "region_totals", "total", "fdd") in columns


def test_jobs_title_counts_every_status_and_errors_say_what_was_done(shell, server_config):
    import dataclasses

    from sqlflow_magic.server import EmbeddedServer

    with EmbeddedServer(dataclasses.replace(server_config, run_worker=False, users={})) as paused:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {paused.url!r}")
        assert shell.run("%%sqlflow_submit\nselect 1").success and shell.run("%%sqlflow_submit\nselect 2").success
        title = shell.run("%sqlflow_jobs").outputs[0]["text/plain"].splitlines()[0]
        missing = shell.run("%sqlflow_status 0123456789abcdef0123456789abcdef")
    assert title == "2 SQLFlow jobs: 2 created"
    assert missing.stdout.startswith("JobNotFoundError: Reading the job's status: SQLFlow answered code 404")
