"""Sending events through the OpenLineage library's own transport (``sqlflow_magic.openlineage.emit``):
to the loopback receiver over HTTP, refused, to a transport that is down; what each says, and that the
API key shows nowhere."""

from __future__ import annotations

import json
import traceback
from http import HTTPStatus

import pytest

from sqlflow_magic.client.errors import ConfigurationError
from sqlflow_magic.openlineage.emit import (
    OpenLineageEmitError,
    OpenLineageNotConfiguredError,
    configuration_summary,
    emit_events,
    openlineage_client,
)
from tests.support.openlineage_receiver import (
    LineageReceiver,
    closed_port_url,
    http_client,
    isolated_openlineage_env,
    plain_events,
)
from tests.support.secrets_scan import assert_clean

pytestmark = pytest.mark.server
API_KEY = "ol-api-key-Tangerine-4471"


@pytest.fixture
def env(tmp_path):
    with isolated_openlineage_env(tmp_path):
        yield


@pytest.fixture
def receiver():
    with LineageReceiver(api_key=API_KEY) as running:
        yield running


def test_every_event_is_sent_in_order_and_taken_without_warnings(env, receiver):
    report = emit_events(plain_events(7), client=http_client(receiver.url, api_key=API_KEY))
    assert str(report) == f"7 of 7 OpenLineage events sent to {receiver.url}/api/v1/lineage"
    assert [o.sent for o in report.outcomes] == [True] * 7
    assert [r.data["job"]["name"] for r in receiver.events] == [f"job-{n}" for n in range(1, 8)]
    assert receiver.warnings == []


def test_gzip_compressed_events_are_taken_as_well(env, receiver):
    report = emit_events(plain_events(2), client=http_client(receiver.url, api_key=API_KEY, compression="gzip"))
    assert report.sent == 2 and [r.data["job"]["name"] for r in receiver.events] == ["job-1", "job-2"]


def test_the_events_given_are_not_changed_by_the_clients_own_facets(env, receiver):
    events = plain_events(1)
    before = json.dumps(events[0].run.facets)
    emit_events(events, client=http_client(receiver.url, api_key=API_KEY))
    assert json.dumps(events[0].run.facets) == before and "tags" in receiver.events[0].data["run"]["facets"]


def test_the_4th_of_7_refused_says_3_sent_which_failed_and_why_and_3_not_sent(env, receiver):
    receiver.refuse(422, '{"errors": ["job.name is required"]}', after=3)
    with pytest.raises(OpenLineageEmitError) as caught:
        emit_events(plain_events(7), client=http_client(receiver.url, api_key=API_KEY))
    error = caught.value
    assert str(error) == (f"3 of 7 OpenLineage events sent to {receiver.url}/api/v1/lineage; the 4th (RunEvent "
                          f"COMPLETE of job tests/job-4) was refused: HTTP 422 {HTTPStatus(422).phrase}: "
                          '{"errors": ["job.name is required"]}; the 5th to 7th were not sent. Fix the cause and '
                          "send again: the run ids come from the job and its statements, so the events already "
                          "sent are not duplicated")
    assert [o.number for o in error.sent] == [1, 2, 3] and [o.number for o in error.unsent] == [5, 6, 7]
    assert [r.data["job"]["name"] for r in receiver.events] == ["job-1", "job-2", "job-3"]


def test_the_last_event_refused_has_nothing_unsent_to_name(env, receiver):
    receiver.refuse(400, "", after=1)
    with pytest.raises(OpenLineageEmitError, match=r"1 of 2 .*; the 2nd \(RunEvent COMPLETE of job tests/job-2\) "
                       r"was refused: HTTP 400 Bad Request\. Fix"):
        emit_events(plain_events(2), client=http_client(receiver.url, api_key=API_KEY))


def test_a_transport_that_is_down_is_one_line_naming_the_refused_connection(env):
    with pytest.raises(OpenLineageEmitError) as caught:
        emit_events(plain_events(2), client=http_client(closed_port_url()))
    assert str(caught.value).startswith("0 of 2 OpenLineage events sent to http://127.0.0.1:")
    assert ("the 1st (RunEvent COMPLETE of job tests/job-1) was not delivered: the transport is down "
            "([Errno 111] Connection refused); the 2nd was not sent." in str(caught.value))


def test_server_errors_through_the_retries_are_said_as_such(env, receiver):
    receiver.refuse(500, "boom", count=3)
    with pytest.raises(OpenLineageEmitError) as caught:
        emit_events(plain_events(1), client=http_client(receiver.url, api_key=API_KEY, retries=2))
    assert "was not delivered: the endpoint kept failing (too many 500 error responses)" in str(caught.value)


def test_a_wrong_api_key_is_refused_with_401_and_the_key_is_never_shown(env, receiver):
    with pytest.raises(OpenLineageEmitError) as caught:
        emit_events(plain_events(1), client=http_client(receiver.url, api_key="not-the-key-9981"))
    assert "was refused: HTTP 401 Unauthorized" in str(caught.value)
    assert_clean(str(caught.value), ["not-the-key-9981"])


def test_the_api_key_shows_nowhere_even_when_the_endpoint_echoes_it(env, receiver):
    receiver.refuse(400, json.dumps({"errors": [f"bad request with Authorization: Bearer {API_KEY}",
                                                f"key={API_KEY}", f"echo {json.dumps(API_KEY)[1:-1]}"]}))
    client = http_client(receiver.url, api_key=API_KEY)
    with pytest.raises(OpenLineageEmitError) as caught:
        emit_events(plain_events(2), client=client)
    error = caught.value
    shown = [str(error), repr(error), *error._render_traceback_(), repr(error.failed), repr(error.unsent),
             "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())]
    assert error.__cause__ is None and error.__context__ is None  # nothing of the transport's chained
    for text in shown:
        assert_clean(text, [API_KEY])
    assert_clean(repr(emit_events(plain_events(1), client=client)), [API_KEY])


def test_nothing_configured_sends_nothing_and_says_how_to_configure(env):
    with pytest.raises(OpenLineageNotConfiguredError, match=r"OpenLineage is not configured: no event was sent\. "
                       r"Set OPENLINEAGE_URL"):
        emit_events(plain_events(1))


def test_disabled_openlineage_is_an_error_not_a_silent_success(env, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    with pytest.raises(OpenLineageNotConfiguredError, match=r"OpenLineage is disabled \(OPENLINEAGE_DISABLED=true\)"):
        emit_events(plain_events(1))


def test_openlineage_url_and_api_key_from_the_environment_are_used_as_the_client_uses_them(env, receiver, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", API_KEY)
    report = emit_events(plain_events(2))
    assert report.sent == 2 and len(receiver.events) == 2


def test_an_openlineage_yml_in_the_working_folder_is_used(env, receiver, tmp_path):
    (tmp_path / "openlineage.yml").write_text(
        f"transport:\n  type: http\n  url: {receiver.url}\n  auth:\n    type: api_key\n    apiKey: {API_KEY}\n")
    assert emit_events(plain_events(1)).sent == 1 and len(receiver.events) == 1


def test_the_file_transport_writes_each_event(env, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(tmp_path / "events.jsonl"))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    report = emit_events(plain_events(3))
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert str(report) == f"3 of 3 OpenLineage events sent to the file {tmp_path / 'events.jsonl'}"
    assert [json.loads(line)["job"]["name"] for line in lines] == ["job-1", "job-2", "job-3"]


def test_a_configuration_the_client_cannot_use_is_one_line(env, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "not a url")
    unusable = r"the OpenLineage configuration \(OPENLINEAGE_URL\) cannot be used"
    with pytest.raises(ConfigurationError, match=unusable) as caught:
        openlineage_client()
    assert "\n" not in str(caught.value)


def test_the_config_row_shows_where_events_go_with_the_key_and_url_credentials_masked(env, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "https://svc:pw-Lantern-2210@catalog.example.com:5000")
    monkeypatch.setenv("OPENLINEAGE_API_KEY", API_KEY)
    value, source = configuration_summary()
    assert value == "https://********@catalog.example.com:5000/api/v1/lineage with API key ******** (set)"
    assert source == "OPENLINEAGE_URL"
    assert_clean(value, [API_KEY, "pw-Lantern-2210"])


def test_the_config_row_without_configuration_says_how_to_configure(env):
    assert configuration_summary() == ("not configured: set OPENLINEAGE_URL or write openlineage.yml", "default")


def test_the_config_row_of_an_openlineage_yml_names_the_file_and_the_transport(env, tmp_path):
    (tmp_path / "openlineage.yml").write_text(f"transport:\n  type: file\n  log_file_path: {tmp_path}/e.jsonl\n")
    assert configuration_summary() == (f"the file {tmp_path}/e.jsonl", str(tmp_path / "openlineage.yml"))


def test_the_variables_the_client_writes_for_openlineage_url_do_not_count_as_a_configuration(env, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    openlineage_client()  # the client copies OPENLINEAGE_URL into OPENLINEAGE__TRANSPORT__TRANSPORTS__... variables
    monkeypatch.delenv("OPENLINEAGE_URL")
    with pytest.raises(OpenLineageNotConfiguredError):
        emit_events(plain_events(1))
