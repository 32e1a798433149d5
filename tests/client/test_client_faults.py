"""Faults a real server cannot be made to produce on demand, through httpx.MockTransport.

Each one must become a typed error whose message says what to do, with bounded, safe retries.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from sqlflow_magic import errors
from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.models import SubmitRequest, UploadFile
from sqlflow_magic.settings import ClientSettings

JOB = {"jobId": "c359aef4bd9641d697732422debd8055", "jobName": "job1", "userId": "u", "dbVendor": "dbvmssql",
       "dataSource": {}, "fileNames": ["cell.sql"], "createTime": "2020-12-15 15:14:39", "status": "create"}
SUBMIT = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1"),))


def make_client(handler, **settings):
    calls: list[httpx.Request] = []
    sleeps: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request, len(calls))

    options = {"user_id": "gudu|0123456789", **settings}
    client = SQLFlowClient(ClientSettings("http://sqlflow.test:8165", **options),
                           transport=httpx.MockTransport(record), sleep=sleeps.append)
    return client, calls, sleeps


def ok(request, n):
    return httpx.Response(200, json={"code": 200, "data": JOB})


def test_string_and_integer_codes_are_both_success():
    client, _, _ = make_client(lambda r, n: httpx.Response(200, json={"code": "200", "data": JOB}))
    assert client.job_summary(JOB["jobId"]).status == "create"


@pytest.mark.parametrize(
    ("code", "error_class", "hint_word"),
    [(401, errors.AuthenticationError, "SQLFLOW_SECRET_KEY"), (403, errors.TokenExpiredError, "secret key"),
     (404, errors.JobNotFoundError, "%sqlflow_jobs"), (410, errors.IncompatibleJobError, "new job"),
     (411, errors.LicenseError, "licence"), (417, errors.LicenseError, "licence"),
     (426, errors.PremiumAccountError, "premium"), (400, errors.RequestRejectedError, "Fix"),
     (500, errors.ServerError, "later"), ("999", errors.ServerError, "later")],
)
def test_error_codes_in_a_200_answer_become_typed_errors(code, error_class, hint_word):
    body = {"code": code, "error": "the server says no"}
    client, _, _ = make_client(lambda r, n: httpx.Response(200, json=body))
    with pytest.raises(error_class) as caught:
        client.job_summary(JOB["jobId"])
    text = str(caught.value)
    assert "the server says no" in text and hint_word in text
    assert "\n" not in "".join(caught.value._render_traceback_())


def test_http_error_status_with_a_200_code_is_not_success():
    client, _, _ = make_client(lambda r, n: httpx.Response(500, json={"code": 200, "data": JOB}))
    with pytest.raises(errors.ServerError):
        client.job_summary(JOB["jobId"])


def test_html_error_page_is_a_bad_response():
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    client, _, _ = make_client(lambda r, n: httpx.Response(404, text=page, headers={"content-type": "text/html"}))
    with pytest.raises(errors.BadResponseError, match="HTML page") as caught:
        client.job_summary(JOB["jobId"])
    assert "/gspLive_backend" in str(caught.value)


def test_connection_refused_is_retried_then_explained():
    def refuse(request, n):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client, calls, sleeps = make_client(refuse)
    with pytest.raises(errors.ServerUnreachableError, match="connection refused"):
        client.job_summary(JOB["jobId"])
    assert len(calls) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_dns_failure_is_not_retried():
    def no_dns(request, n):
        raise httpx.ConnectError(f"[Errno {socket.EAI_NONAME}] Name or service not known", request=request)

    client, calls, _ = make_client(no_dns)
    with pytest.raises(errors.ServerUnreachableError, match=r"cannot resolve the host name 'sqlflow\.test'"):
        client.job_summary(JOB["jobId"])
    assert len(calls) == 1


def test_connect_timeout_retries_then_fails():
    def slow(request, n):
        raise httpx.ConnectTimeout("timed out", request=request)

    client, calls, _ = make_client(slow, max_retries=1)
    with pytest.raises(errors.ServerUnreachableError, match="timed out"):
        client.job_summary(JOB["jobId"])
    assert len(calls) == 2


def test_503_with_retry_after_then_success():
    def busy_then_ok(request, n):
        if n < 3:
            return httpx.Response(503, text="busy", headers={"Retry-After": "2"})
        return ok(request, n)

    client, calls, sleeps = make_client(busy_then_ok)
    assert client.submit_persist_job(SUBMIT).job_id == JOB["jobId"]
    assert len(calls) == 3 and sleeps == [2.0, 2.0]


def test_retries_are_bounded_for_429():
    client, calls, sleeps = make_client(lambda r, n: httpx.Response(429, json={"code": 429, "error": "slow down"}))
    with pytest.raises(errors.RateLimitedError):
        client.job_summary(JOB["jobId"])
    assert len(calls) == 4 and max(sleeps) <= 30


@pytest.mark.parametrize("status", [502, 504])
def test_a_submit_is_not_resent_after_a_gateway_error(status):
    client, calls, _ = make_client(lambda r, n: httpx.Response(status, text="<html>gateway</html>"))
    with pytest.raises(errors.BadResponseError):
        client.submit_persist_job(SUBMIT)
    assert len(calls) == 1


def test_a_summary_is_retried_after_a_gateway_error():
    client, calls, _ = make_client(lambda r, n: httpx.Response(502, text="bad gateway") if n == 1 else ok(r, n))
    assert client.job_summary(JOB["jobId"]).status == "create"
    assert len(calls) == 2


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.WriteError, httpx.RemoteProtocolError])
def test_a_submit_whose_answer_is_lost_is_never_resent(fault):
    def lose(request, n):
        raise fault("lost", request=request)

    client, calls, _ = make_client(lose)
    with pytest.raises(errors.SubmitOutcomeUnknownError, match="%sqlflow_jobs"):
        client.submit_persist_job(SUBMIT)
    assert len(calls) == 1


def test_read_timeout_on_a_summary_says_how_to_wait_longer():
    def slow(request, n):
        raise httpx.ReadTimeout("timed out", request=request)

    client, _, _ = make_client(slow)
    with pytest.raises(errors.RequestTimeoutError, match="read_timeout"):
        client.job_summary(JOB["jobId"])


def test_token_secret_never_in_messages():
    secret = "sk-0123456789abcdef"

    def echo(request, n):
        if request.url.path.endswith("generateToken"):
            return httpx.Response(200, json={"code": "200", "token": "jwt-abcdef-123456"})
        return httpx.Response(200, json={"code": 400, "error": f"bad request {secret} jwt-abcdef-123456"})

    client, _, _ = make_client(echo, user_id="me", secret_key=secret)
    with pytest.raises(errors.RequestRejectedError) as caught:
        client.job_summary(JOB["jobId"])
    assert secret not in str(caught.value) and "jwt-abcdef-123456" not in str(caught.value)


def test_export_error_body_is_refused():
    client, _, _ = make_client(lambda r, n: httpx.Response(200, json={"code": 404, "error": "no such job"}))
    with pytest.raises(errors.JobNotFoundError):
        client.export_lineage_csv(JOB["jobId"])
    with pytest.raises(errors.JobNotFoundError):
        client.export_lineage_graphml(JOB["jobId"])


def test_secrets_like_fields_in_answers_are_dropped():
    data = {**JOB, "dataSource": {"hostname": "db", "password": "hunter2"}, "token": "jwt"}
    client, _, _ = make_client(lambda r, n: httpx.Response(200, json={"code": 200, "data": data}))
    job = client.job_summary(JOB["jobId"])
    assert "hunter2" not in repr(job) and "password" not in job.data_source and "token" not in job.other
