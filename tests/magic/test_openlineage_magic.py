"""``%sqlflow_lineage --format openlineage [--events run|job] [--emit]`` on the embedded server, sent through
the OpenLineage client's own HTTP transport to the loopback receiver; ``%sqlflow_config``'s row."""

from __future__ import annotations

import json

import pytest

from tests.support.openlineage_receiver import LineageReceiver, closed_port_url, isolated_openlineage_env
from tests.support.secrets_scan import assert_clean

pytestmark = pytest.mark.server
API_KEY = "ol-magic-key-Marigold-5523"
INSERT = "INSERT INTO dw.daily (d, total)\nSELECT order_date, SUM(amount) FROM sales.orders GROUP BY order_date;"
VIEW = "CREATE VIEW rpt.big_days AS SELECT d FROM dw.daily WHERE total > 100;"
CELL = f"%%sqlflow_submit -d postgres -n nightly --wait\n{INSERT}\n\n{VIEW}\n"


@pytest.fixture
def receiver(tmp_path, monkeypatch):
    with isolated_openlineage_env(tmp_path), LineageReceiver(api_key=API_KEY) as running:
        monkeypatch.setenv("OPENLINEAGE_URL", running.url)
        monkeypatch.setenv("OPENLINEAGE_API_KEY", API_KEY)
        yield running


@pytest.fixture
def submitted(shell, receiver):
    run = shell.run(CELL)
    assert run.success, run.text()
    return shell


def statement_events(events):
    return [e for e in events if e["job"]["name"] != "nightly"]


def test_the_events_are_kept_as_a_json_list_with_each_statements_sql_and_written_with_out(submitted, tmp_path):
    run = submitted.run(f"%sqlflow_lineage --format openlineage --out {tmp_path}/events.json")
    events = submitted.ns["sqlflow_lineage"]
    assert run.success and json.loads((tmp_path / "events.json").read_text()) == events
    assert [e["job"]["name"] for e in events] == ["nightly", "nightly.query_insert_1", "nightly.query_create_view_2"]
    assert {e["eventType"] for e in events} == {"COMPLETE"}
    texts = [e["job"]["facets"]["sql"]["query"] for e in statement_events(events)]
    assert texts == [INSERT.rstrip(";"), VIEW.rstrip(";")]  # each statement, without its terminator
    job_id = submitted.ns["sqlflow_job_id"]
    assert run.stdout.strip() == (f"OpenLineage events of job {job_id} (3 run events) are in sqlflow_lineage, "
                                  f"written to {tmp_path}/events.json.")
    submitted.run("%sqlflow_lineage --format openlineage --events job --var static")
    assert [sorted(e) for e in submitted.ns.pop("static")][1] == ["eventTime", "inputs", "job", "outputs", "producer",
                                                                  "schemaURL"]


def test_a_job_of_several_files_has_no_sql_facet_since_positions_name_no_file(submitted):
    assert submitted.run(f"%%sqlflow_submit -j $sqlflow_job_id --filename more.sql --wait\n{VIEW}\n").success
    submitted.run("%sqlflow_lineage --format openlineage")
    assert all("sql" not in e["job"]["facets"] for e in submitted.ns["sqlflow_lineage"])


def test_emit_sends_every_event_and_the_receiver_takes_them_without_warnings(submitted, receiver):
    run = submitted.run("%sqlflow_lineage --format openlineage --emit")
    assert run.success, run.text()
    assert run.stdout.splitlines()[-1] == f"3 of 3 OpenLineage events sent to {receiver.url}/api/v1/lineage"
    names = [e["job"]["name"] for e in submitted.ns["sqlflow_lineage"]]
    assert [r.data["job"]["name"] for r in receiver.events] == names
    assert receiver.warnings == []


def test_a_refused_event_fails_the_cell_in_one_line_saying_which_were_sent(submitted, receiver):
    receiver.refuse(400, '{"errors": ["namespace not allowed"]}', after=1)
    run = submitted.run("%sqlflow_lineage --format openlineage --emit")
    assert not run.success and type(run.error).__name__ == "OpenLineageEmitError"
    assert run.error._render_traceback_() == [
        f"OpenLineageEmitError: 1 of 3 OpenLineage events sent to {receiver.url}/api/v1/lineage; the 2nd (RunEvent "
        "COMPLETE of job sqlflow/nightly.query_insert_1) was refused: HTTP 400 Bad Request: "
        '{"errors": ["namespace not allowed"]}; the 3rd was not sent. Fix the cause and send again: the run ids '
        "come from the job and its statements, so the events already sent are not duplicated"]
    assert len(submitted.ns["sqlflow_lineage"]) == 3  # the events are kept, to look at or send again


def test_a_transport_that_is_down_fails_the_cell_in_one_line(submitted, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENLINEAGE_URL")  # an openlineage.yml in the working folder instead, without retries
    (tmp_path / "openlineage.yml").write_text(f"transport:\n  type: http\n  url: {closed_port_url()}\n"
                                              "  retry:\n    total: 0\n")
    run = submitted.run("%sqlflow_lineage --format openlineage --emit")
    message = run.error._render_traceback_()
    assert not run.success and len(message) == 1
    assert "0 of 3 OpenLineage events sent" in message[0] and "was not delivered: the transport is down" in message[0]


def test_a_job_without_lineage_is_one_line(shell, receiver):
    assert shell.run("%%sqlflow_submit -d postgres --wait\nSELECT 1;\n").success
    run = shell.run("%sqlflow_lineage --format openlineage")
    assert not run.success and run.error._render_traceback_()[0].startswith("InputError: job ")
    assert "has no lineage to export" in run.error._render_traceback_()[0]


@pytest.mark.parametrize(("line", "message"), [
    ("--emit", "--emit needs --format openlineage"),
    ("--format csv --events job", "--events needs --format openlineage"),
    ("--format openlineage --table-level", "--format openlineage exports the whole job's column lineage: "
                                           "leave out --table-level"),
    ("--format openlineage --authority scott:Tiger-pw-77@db:1521", "--authority takes the database's host:port "
                                                                   "(or account) only, without user:password@"),
])
def test_options_that_do_not_go_together_are_refused(shell, line, message):
    run = shell.run(f"%sqlflow_lineage {line}")
    assert not run.success and str(run.error) == message


def test_config_shows_where_events_go_with_the_key_masked(shell, receiver):
    run = shell.run("%sqlflow_config")
    row = next(line for line in run.outputs[0]["text/plain"].splitlines() if line.startswith("openlineage"))
    assert f"{receiver.url}/api/v1/lineage with API key ******** (set)" in row and "OPENLINEAGE_URL" in row
    assert_clean(run.text(), [API_KEY])


def test_the_api_key_shows_in_no_output_of_a_session(submitted, receiver):
    receiver.refuse(401, json.dumps({"errors": [f"Bearer {API_KEY} is not valid"]}))
    runs = [submitted.run(cell) for cell in ("%sqlflow_config", "%sqlflow_lineage --format openlineage --emit",
                                             "%sqlflow_lineage --format openlineage --emit", "sqlflow_lineage")]
    for run in runs:
        assert_clean(run.text() + (str(run.error) if run.error else ""), [API_KEY])
