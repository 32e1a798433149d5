"""Errors found before sending fail the cell with one line; the panel's three forms and its Refresh button.

Each error a server can cause, failing its cell with one line, is in ``tests/faults/test_cell_faults.py``.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from IPython.utils.capture import capture_output

from sqlflow_magic.client.models import Job
from sqlflow_magic.display.panel import JobPanel
from sqlflow_magic.display.render import ServerInfo, job_text
from sqlflow_magic.server import EmbeddedServer
from tests.support.shell import widget_by_id

pytestmark = pytest.mark.server

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_configuration_error_is_one_line(shell):
    shell.ip.run_line_magic("config", "SQLFlowMagics.ca_bundle = '/no/such/ca.pem'")
    shell.ip.run_line_magic("config", "SQLFlowMagics.base_url = 'https://sqlflow.example'")
    run = shell.run("%%sqlflow_submit\nselect 1")
    assert not run.success and run.stdout.strip().startswith("ConfigurationError: cannot read the CA bundle")


def test_bad_base_url_in_config_is_refused_at_once(shell, caplog):
    shell.run("%config SQLFlowMagics.base_url = 'htp://sqlflow.example'")  # %config logs, it does not raise
    assert shell.magics.base_url is None
    assert "misspelt scheme 'htp'" in caplog.text and "http://sqlflow.example" in caplog.text


def test_html_page_from_a_real_web_server(alice_shell, tmp_path):
    import http.server
    import threading

    (tmp_path / "index.html").write_text("<html><body>not sqlflow</body></html>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/gspLive_backend"
        alice_shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {url!r}")
        run = alice_shell.run("%%sqlflow_submit\nselect 1")
    finally:
        server.shutdown()
    assert not run.success and run.stdout.startswith("BadResponseError:")


# --- the panel -----------------------------------------------------------------------------------

JOB = Job(job_id="c359aef4bd9641d697732422debd8055", job_name="<script>alert(1)</script>",
          user_id="google-oauth2|104002923119102769706", db_vendor="dbvmssql", status="create",
          file_names=("a&b.sql",), create_time="2020-12-15 15:14:39")


def test_panel_has_three_forms_and_escapes_server_strings():
    panel = JobPanel(JOB, ServerInfo("http://127.0.0.1:5/gspLive_backend", embedded=True), lambda _id: JOB, live=True)
    bundle = panel._repr_mimebundle_()
    assert {"text/plain", "text/html", WIDGET} <= set(bundle)
    assert "<script>" not in bundle["text/html"] and "&lt;script&gt;" in bundle["text/html"]
    assert "a&amp;b.sql" in bundle["text/html"]
    assert "104002923119102769706" not in str(bundle) and "goo…06" in bundle["text/plain"]
    assert "embedded local server" in bundle["text/plain"] and "embedded local server" in bundle["text/html"]
    assert 'user-select:all' in bundle["text/html"]
    assert "VBox" not in bundle["text/plain"]


def test_problems_are_listed_once_unless_the_error_already_says_them():
    problem = {"fileName": "cell.sql", "errorMessage": "Syntax error near 'FROM'", "coordinates": [{"x": 1, "y": 14}]}
    server = ServerInfo("http://127.0.0.1:5/gspLive_backend", embedded=True)
    failed = replace(JOB, status="fail", error_message="no SQL statement could be analysed: cell.sql line 1, "
                     "column 14: Syntax error near 'FROM'", other={"errors": [problem]})
    partial = replace(JOB, status="partial_success", error_message="1 problem(s) in the SQL",
                      other={"errors": [problem]})
    assert "Problems" not in job_text(failed, server) and "line 1, column 14" in job_text(failed, server)
    assert "Problems  cell.sql line 1, column 14: Syntax error near 'FROM'" in job_text(partial, server)
    assert "Problems" in job_text(replace(partial, error_message=None), server)  # no error message at all


def test_panel_widget_is_one_model_drawn_by_anywidget():
    import anywidget
    from ipywidgets.widgets.widget import _instances

    server = ServerInfo("http://127.0.0.1:5/gspLive_backend", embedded=True)
    before = set(_instances)
    bundle = JobPanel(JOB, server, lambda _id: JOB, live=True)._repr_mimebundle_()
    widget = widget_by_id(bundle[WIDGET]["model_id"])
    assert widget.model_id in _instances
    assert set(_instances) - before <= {widget.model_id, widget.layout.model_id}  # no model more
    state = widget.get_state()
    assert isinstance(widget, anywidget.AnyWidget)  # anywidget's public API, not a copy of its traits
    assert (state["_model_module"], state["_model_name"], state["_view_name"]) == ("anywidget", "AnyModel", "AnyView")
    assert "export default" in state["_esm"] and "sqlflow-refresh" in state["_esm"]
    assert ".sqlflow-panel" in state["_css"]
    assert state["refreshable"] and "&lt;script&gt;" in state["job_html"] and "<script>" not in state["job_html"]
    assert not JobPanel(JOB, server, live=True).widget.refreshable  # nothing to refresh with: no button


def test_panel_not_live_has_html_and_text_only():
    panel = JobPanel(JOB, ServerInfo("https://api.gudusoft.com/gspLive_backend", False))
    bundle = panel._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert "embedded" not in bundle["text/plain"]


def test_refresh_updates_the_panel_in_place_and_a_final_job_turns_static(alice_shell, server_config, monkeypatch):
    shell = alice_shell
    shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    shell.server.stop()  # a server whose worker is off, so that only this test moves the job's status
    shell.server = EmbeddedServer(replace(server_config, run_worker=False)).start()
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {shell.server.url!r}")
    run = shell.run("%%sqlflow_submit -n refresh-me\nselect 1")
    job_id = shell.ns["sqlflow_job_id"]
    [bundle] = run.outputs
    panel = widget_by_id(bundle[WIDGET]["model_id"])
    replies: list[object] = []
    monkeypatch.setattr(panel, "send", lambda content, buffers=None: replies.append(content))

    def click_refresh() -> None:  # what panel.js sends when Refresh is clicked
        with capture_output() as shown:
            panel._handle_custom_msg({"event": "refresh"}, [])
        return [dict(output.data) for output in shown.outputs]

    assert panel.refreshable and "create" in panel.job_html and panel.note == ""
    from sqlflow_magic.server.store import JobStore

    store = JobStore(shell.server.config.db_path)
    try:
        store.set_status(job_id, "process")
        click_refresh()
        assert "process" in panel.job_html and "create" not in panel.job_html
        assert re.fullmatch(r"Checked at \d\d:\d\d:\d\d: process\.", panel.note)  # says it checked, and when
        assert replies == [{"event": "refreshed"}]  # the button is enabled again
        port = shell.server.port
        shell.server.stop()  # the panel keeps its own client: make the server go away
        click_refresh()
        assert panel.note.startswith("Refresh failed at") and "process" in panel.job_html
        assert replies == [{"event": "refreshed"}] * 2
        panel._handle_custom_msg({"event": "something else"}, [])
        assert len(replies) == 2
        shell.server = EmbeddedServer(replace(server_config, run_worker=False, port=port)).start()
        store.set_status(job_id, "fail", error_message="no SQL statement found")
        [static] = click_refresh()  # a final status: the static form takes the widget's place
    finally:
        store.close()
    assert WIDGET not in static and "fail" in static["text/plain"] and "Checked at" in static["text/plain"]
    assert panel.comm is None  # the widget is closed


def test_a_job_seen_final_turns_its_earlier_live_panels_static_and_no_other_jobs(alice_shell, server_config):
    shell = alice_shell
    shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    shell.server.stop()  # a worker that is off: only this test moves the jobs' statuses
    shell.server = EmbeddedServer(replace(server_config, run_worker=False)).start()
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {shell.server.url!r}")
    first = shell.run("%%sqlflow_submit -n one\nselect 1")
    job_id = shell.ns["sqlflow_job_id"]
    again = shell.run("%%sqlflow_submit --job-id $sqlflow_job_id --filename two.sql\nselect 2")
    other = shell.run("%%sqlflow_submit -n another\nselect 3")
    widgets = [widget_by_id(run.outputs[0][WIDGET]["model_id"]) for run in (first, again, other)]
    from sqlflow_magic.server.store import JobStore

    store = JobStore(shell.server.config.db_path)
    try:
        store.set_status(job_id, "fail", error_message="no SQL statement found")
    finally:
        store.close()
    status = shell.run(f"%sqlflow_status {job_id}")
    assert status.success, status.text()
    shown, *updates = status.outputs  # its own panel, then the two earlier panels of the job, replaced
    assert "fail" in shown["text/plain"] and len(updates) == 2
    for update in updates:
        assert WIDGET not in update and "Checked at" in update["text/plain"]
        assert "by a later cell: fail." in update["text/plain"] and "Status   fail" in update["text/plain"]
    assert widgets[0].comm is None and widgets[1].comm is None  # closed
    assert widgets[2].comm is not None  # another job's live panel is left alone
