"""Faults as the client library meets them: each becomes a typed error whose message says what to do, with
bounded, safe retries. What the cell then shows is in ``test_cell_faults.py``.

Every fault comes from a real socket: the scripted fault server (``tests/support/fault_server.py``) for
error codes, 429 and 503 with Retry-After, HTML pages, silence, hang-ups and resets; a closed port for a
refused connection; a port whose listen queue is full for a connect timeout; the local server with
one-second tokens for an expired token. The one mock is a host name that does not resolve
(``httpx.MockTransport``): tests do not touch DNS. The client's pauses between retries are recorded,
not slept.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from sqlflow_magic.client import SQLFlowClient, errors
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.fault_server import JOB, Answer, connect_times_out, fault_server
from tests.support.recording import RecordingTransport
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

SUBMIT = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1"),))
OK = Answer(200, {"code": 200, "data": JOB})


def client_for(url: str, *, transport: httpx.BaseTransport | None = None, **settings) -> tuple[SQLFlowClient,
                                                                                                list[float]]:
    """A client of ``url`` whose pauses between retries are recorded in the list returned with it."""
    sleeps: list[float] = []
    options = {"user_id": "gudu|0123456789", "secret_key": "sk-0123456789abcdef", **settings}
    return SQLFlowClient(ClientSettings(url, **options), transport=transport, sleep=sleeps.append), sleeps


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/api/gspLive_backend"


def test_string_and_integer_codes_are_both_success():
    with fault_server(lambda path, n: Answer(200, {"code": "200" if n == 1 else 200, "data": JOB})) as server:
        client, _ = client_for(server.url)
        assert client.job_summary(JOB["jobId"]).status == "process"
        assert client.job_summary(JOB["jobId"]).status == "process"


@pytest.mark.parametrize(
    ("code", "error_class", "hint_word"),
    [(401, errors.AuthenticationError, "SQLFLOW_SECRET_KEY"), (403, errors.TokenExpiredError, "secret key"),
     (404, errors.JobNotFoundError, "%sqlflow_jobs"), (410, errors.IncompatibleJobError, "new job"),
     (411, errors.LicenseError, "licence"), (413, errors.LicenseError, "administrator"),
     (417, errors.LicenseError, "licence"), (426, errors.PremiumAccountError, "premium"),
     (400, errors.RequestRejectedError, "Fix"), (500, errors.ServerError, "later"),
     ("999", errors.ServerError, "later")],
)
def test_error_codes_in_a_200_answer_become_typed_errors(code, error_class, hint_word):
    with fault_server(lambda path, n: Answer(200, {"code": code, "error": "the server says no"})) as server:
        client, _ = client_for(server.url)
        with pytest.raises(error_class) as caught:
            client.job_summary(JOB["jobId"])
    text = str(caught.value)
    assert "the server says no" in text and hint_word in text
    assert "\n" not in "".join(caught.value._render_traceback_())


def test_http_error_status_with_a_200_code_is_not_success():
    with fault_server(lambda path, n: Answer(500, {"code": 200, "data": JOB})) as server:
        client, _ = client_for(server.url)
        with pytest.raises(errors.ServerError):
            client.job_summary(JOB["jobId"])


@pytest.mark.parametrize("status", [200, 404])
def test_an_html_page_is_a_bad_response(status):
    page = b"<!DOCTYPE html><html><body><h1>Sign in to the corporate proxy</h1></body></html>"
    with fault_server(lambda path, n: Answer(status, page, {"content-type": "text/html"})) as server:
        client, _ = client_for(server.url)
        with pytest.raises(errors.BadResponseError, match="HTML page") as caught:
            client.submit_persist_job(SUBMIT)
    assert "/gspLive_backend" in str(caught.value)


def test_connection_refused_is_retried_then_explained():
    client, sleeps = client_for(closed_port_url())
    with pytest.raises(errors.ServerUnreachableError, match="connection refused"):
        client.job_summary(JOB["jobId"])
    assert sleeps == [0.5, 1.0, 2.0]  # three retries, backing off


def test_a_failed_tls_handshake_is_named_and_not_retried():
    with fault_server(lambda path, n: OK) as server:  # plain HTTP where the client expects TLS
        client, sleeps = client_for(server.url.replace("http://", "https://"))
        with pytest.raises(errors.TLSError, match=r"the TLS handshake with https://127\.0\.0\.1:") as caught:
            client.job_summary(JOB["jobId"])
    assert sleeps == [] and "connection refused" not in str(caught.value)
    assert "ca_bundle" in caught.value.hint


def test_connect_timeout_retries_then_fails():
    with connect_times_out() as url:
        client, sleeps = client_for(url, max_retries=1, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(errors.ServerUnreachableError, match=r"timed out after 0\.3 s"):
            client.generate_token()
    assert sleeps == [0.5] and time.monotonic() - started >= 0.6  # two real connects, each timed out


def test_dns_failure_is_not_retried():
    """The one mock: a name that does not resolve (a real one would make the test depend on DNS)."""
    calls: list[httpx.Request] = []

    def no_such_host(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError(f"[Errno {socket.EAI_NONAME}] Name or service not known", request=request)

    client, _ = client_for("http://sqlflow.test:8165", transport=httpx.MockTransport(no_such_host))
    with pytest.raises(errors.ServerUnreachableError, match=r"cannot resolve the host name 'sqlflow\.test'"):
        client.job_summary(JOB["jobId"])
    assert len(calls) == 1


def test_503_with_retry_after_then_success():
    def busy_twice(path, n):
        return Answer(503, b"busy", {"Retry-After": "2", "content-type": "text/plain"}) if n <= 2 else OK

    with fault_server(busy_twice) as server:
        client, sleeps = client_for(server.url)
        assert client.submit_persist_job(SUBMIT).job_id == JOB["jobId"]
    assert server.requests.count("submitPersistJob") == 3 and sleeps == [2.0, 2.0]


def test_429_retries_are_bounded():
    slow_down = Answer(429, {"code": 429, "error": "slow down"}, {"Retry-After": "20"})
    with fault_server(lambda path, n: slow_down) as server:
        client, sleeps = client_for(server.url)
        with pytest.raises(errors.RateLimitedError):
            client.job_summary(JOB["jobId"])
    assert server.requests.count("displayUserJobSummary") == 4 and sleeps == [20.0, 20.0, 20.0]


def test_a_retry_after_longer_than_any_pause_fails_at_once_and_says_how_long():
    slow_down = Answer(429, {"code": 429, "error": "slow down"}, {"Retry-After": "600"})
    with fault_server(lambda path, n: slow_down) as server:
        client, sleeps = client_for(server.url)
        with pytest.raises(errors.RateLimitedError, match="slow down") as caught:
            client.job_summary(JOB["jobId"])
    assert server.requests.count("displayUserJobSummary") == 1 and sleeps == []
    assert "wait 600 s" in caught.value.hint


@pytest.mark.parametrize("status", [502, 504])
def test_a_submit_is_not_resent_after_a_gateway_error(status):
    with fault_server(lambda path, n: Answer(status, b"<html>gateway</html>", {"content-type": "text/html"})) as server:
        client, _ = client_for(server.url)
        with pytest.raises(errors.BadResponseError):
            client.submit_persist_job(SUBMIT)
    assert server.requests.count("submitPersistJob") == 1


def test_a_summary_is_retried_after_a_gateway_error():
    with fault_server(lambda path, n: Answer(502, b"bad gateway", {"content-type": "text/plain"}) if n == 1
                      else OK) as server:
        client, _ = client_for(server.url)
        assert client.job_summary(JOB["jobId"]).job_id == JOB["jobId"]
    assert server.requests.count("displayUserJobSummary") == 2


@pytest.mark.parametrize("fault", [Answer(silent=True), Answer(hang_up=True)], ids=["silence", "hang-up"])
def test_a_submit_whose_answer_is_lost_is_never_resent(fault):
    with fault_server(lambda path, n: fault) as server:
        client, _ = client_for(server.url, read_timeout=0.5)
        with pytest.raises(errors.SubmitOutcomeUnknownError, match="%sqlflow_jobs"):
            client.submit_persist_job(SUBMIT)
    assert server.requests.count("submitPersistJob") == 1


def test_read_timeout_on_a_summary_says_how_to_wait_longer():
    with fault_server(lambda path, n: Answer(silent=True)) as server:
        client, _ = client_for(server.url, read_timeout=0.5)
        with pytest.raises(errors.RequestTimeoutError, match="read_timeout"):
            client.job_summary(JOB["jobId"])


def test_a_slow_answer_within_the_read_timeout_is_waited_for():
    with fault_server(lambda path, n: Answer(200, {"code": 200, "data": JOB}, delay=0.5)) as server:
        client, sleeps = client_for(server.url, read_timeout=2)
        assert client.job_summary(JOB["jobId"]).job_id == JOB["jobId"]
    assert sleeps == [] and server.requests.count("displayUserJobSummary") == 1


def test_token_and_secret_never_in_messages():
    secret, token = "sk-0123456789abcdef", "jwt-abcdef-123456"
    echo = Answer(200, {"code": 400, "error": f"bad request {secret} {token}"})
    with fault_server(lambda path, n: echo, token=token) as server:
        client, _ = client_for(server.url, user_id="me", secret_key=secret)
        with pytest.raises(errors.RequestRejectedError) as caught:
            client.job_summary(JOB["jobId"])
    assert secret not in str(caught.value) and token not in str(caught.value)


def test_an_export_error_body_is_refused():
    with fault_server(lambda path, n: Answer(200, {"code": 404, "error": "no such job"})) as server:
        client, _ = client_for(server.url)
        with pytest.raises(errors.JobNotFoundError):
            client.export_lineage_csv(JOB["jobId"])
        with pytest.raises(errors.JobNotFoundError):
            client.export_lineage_graphml(JOB["jobId"])


def test_secrets_like_fields_in_answers_are_dropped():
    data = {**JOB, "dataSource": {"hostname": "db", "password": "hunter2"}, "token": "jwt"}
    with fault_server(lambda path, n: Answer(200, {"code": 200, "data": data})) as server:
        client, _ = client_for(server.url)
        job = client.job_summary(JOB["jobId"])
    assert "hunter2" not in repr(job) and "password" not in job.data_source and "token" not in job.other


def test_an_expired_token_is_renewed_once(tmp_path):
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET}, token_ttl_seconds=1)
    with EmbeddedServer(config).start() as server:
        wire = RecordingTransport()
        client = SQLFlowClient(ClientSettings(server.url, user_id=ALICE, secret_key=ALICE_SECRET), transport=wire)
        job = client.submit_persist_job(SUBMIT)
        time.sleep(2.1)
        assert client.job_summary(job.job_id).job_id == job.job_id
        assert wire.paths() == ["generateToken", "submitPersistJob", "displayUserJobSummary", "generateToken",
                                "displayUserJobSummary"]
