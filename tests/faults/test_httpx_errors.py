"""Every exception httpx defines becomes one of the package's one-line errors, never a traceback.

The classes are enumerated from httpx itself: a class a new httpx adds fails
``test_every_httpx_error_is_made_here`` until it is made below, for real or, where no server can make
it, through ``httpx.MockTransport`` with the reason in ``MOCKED``. Real faults come from the scripted
fault server (``tests/support/fault_server.py``): a body that does not match its ``Content-Encoding``,
a reset, a hang-up, silence, a server that never reads an upload; and from a loopback proxy that
answers 407 (``refusing_proxy``), reached through ``HTTPS_PROXY``/``HTTP_PROXY`` as a user's would be.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from sqlflow_magic.client import SQLFlowClient, errors
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import ClientSettings
from tests.support.fault_server import JOB, Answer, connect_times_out, fault_server, refusing_proxy

pytestmark = pytest.mark.server

SECRET = "sk-0123456789abcdef"
SMALL = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1"),))
BAD_GZIP = Answer(200, b"this is not gzip", {"content-encoding": "gzip"})

#: The classes no real server can make, and why (docs/contributing.md lists them).
MOCKED = {
    httpx.WriteError: "httpcore swallows a failed write and reads the answer instead (a reset: ReadError)",
    httpx.CloseError: "closing a socket does not fail on Linux, whatever the peer does",
    httpx.LocalProtocolError: "the client's own request breaking HTTP/1.1: no server can cause it",
    httpx.UnsupportedProtocol: "a base URL that is not http(s) is refused before any request",
    httpx.TooManyRedirects: "the client follows no redirects",
    httpx.HTTPStatusError: "only raise_for_status() raises it, and the client never calls it",
    httpx.HTTPError: "a base class: httpx raises its subclasses (a custom transport might raise it)",
    httpx.RequestError: "a base class", httpx.TransportError: "a base class", httpx.NetworkError: "a base class",
    httpx.TimeoutException: "a base class", httpx.ProtocolError: "a base class",
}
#: The classes made for real below (ConnectError and ConnectTimeout with retries: test_client_faults.py).
REAL = {httpx.DecodingError, httpx.ProxyError, httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout,
        httpx.WriteTimeout, httpx.PoolTimeout, httpx.ConnectError, httpx.ConnectTimeout}


def httpx_errors() -> set[type[Exception]]:
    return {value for value in vars(httpx).values() if isinstance(value, type) and issubclass(value, httpx.HTTPError)}


def test_every_httpx_error_is_made_here():
    assert httpx_errors() == REAL | MOCKED.keys(), "a new httpx error: make it below, or mock it and say why"


def client_for(url: str, *, transport: httpx.BaseTransport | None = None, **settings) -> SQLFlowClient:
    options = {"user_id": "gudu|0123456789", "secret_key": SECRET, "max_retries": 0, **settings}
    return SQLFlowClient(ClientSettings(url, **options), transport=transport, sleep=lambda seconds: None)


def one_line(error: BaseException, httpx_class: type[Exception]) -> str:
    """The error's one line; its hidden context is the httpx class expected (so the fault was really made)."""
    assert isinstance(error, errors.SQLFlowError), repr(error)
    assert type(error.__context__) is httpx_class, repr(error.__context__)
    lines = error._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0] and SECRET not in lines[0], lines
    return lines[0]


@pytest.mark.parametrize(("call", "error_class"), [
    (lambda client: client.job_summary(JOB["jobId"]), errors.BadResponseError),
    (lambda client: client.submit_persist_job(SMALL), errors.SubmitOutcomeUnknownError),
], ids=["summary", "submit"])
def test_a_body_that_does_not_match_its_content_encoding(call, error_class):
    with fault_server(lambda path, n: BAD_GZIP) as server:
        with pytest.raises(error_class) as caught:
            call(client_for(server.url))
    assert "Content-Encoding" in one_line(caught.value, httpx.DecodingError)


@pytest.fixture
def proxy(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                 "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with refusing_proxy() as url:
        monkeypatch.setenv("HTTPS_PROXY", url)
        monkeypatch.setenv("HTTP_PROXY", url)
        yield url


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_proxy_that_answers_407(proxy, scheme):
    """HTTPS goes through a CONNECT the proxy refuses (httpx.ProxyError); HTTP gets the proxy's 407 answer."""
    client = client_for(f"{scheme}://sqlflow.example:8165", max_retries=3)
    with pytest.raises(errors.SQLFlowError) as caught:
        client.submit_persist_job(SMALL)
    assert type(caught.value).__name__ == "ProxyRefusedError"
    if scheme == "https":
        text = one_line(caught.value, httpx.ProxyError)
    else:
        text = str(caught.value)
    assert "407" in text and "HTTPS_PROXY" in text and "sqlflow.example" in text


def test_a_proxy_setting_that_cannot_work_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "ftp://proxyuser:proxypass@proxy.example:21")
    with pytest.raises(errors.ConfigurationError, match="HTTPS_PROXY") as caught:
        client_for("https://sqlflow.example:8165")
    assert "proxypass" not in str(caught.value) and len(caught.value._render_traceback_()) == 1


@pytest.mark.parametrize(("answer", "httpx_class", "words"), [
    (Answer(reset=True), httpx.ReadError, "connection broke"),
    (Answer(hang_up=True), httpx.RemoteProtocolError, "connection broke"),
    (Answer(silent=True), httpx.ReadTimeout, "waiting for the answer"),
], ids=["reset", "hang-up", "silence"])
def test_a_lost_answer(answer, httpx_class, words):
    expected = errors.RequestTimeoutError if "waiting" in words else errors.ConnectionBrokenError
    with fault_server(lambda path, n: answer) as server:
        with pytest.raises(expected) as caught:
            client_for(server.url, read_timeout=0.5).job_summary(JOB["jobId"])
    assert words in one_line(caught.value, httpx_class)


def test_an_upload_the_server_never_reads():
    big = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1;\n" * 1_200_000),))  # 12 MB
    with fault_server(lambda path, n: Answer(deaf=True)) as server:
        with pytest.raises(errors.SubmitOutcomeUnknownError) as caught:
            client_for(server.url, read_timeout=0.5).submit_persist_job(big)
    assert "timed out sending" in one_line(caught.value, httpx.WriteTimeout)


def test_no_free_connection_in_the_pool():
    """httpx keeps 100 connections at most: the 101st call at once waits connect_timeout for one."""
    with fault_server(lambda path, n: Answer(silent=True)) as server:
        client = client_for(server.url, read_timeout=10, connect_timeout=2)
        failures: list[BaseException] = []

        def hold_a_connection() -> None:
            try:
                client.job_summary("j")
            except errors.SQLFlowError as exc:  # the silent server closes when the block ends
                failures.append(exc)

        busy = [threading.Thread(target=hold_a_connection) for _ in range(100)]
        for thread in busy:
            thread.start()
        deadline = time.monotonic() + 10
        while len(server.requests) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(errors.RequestTimeoutError) as caught:
            client.submit_persist_job(SMALL)
    for thread in busy:
        thread.join()
    assert len(failures) == 100
    assert "free connection" in one_line(caught.value, httpx.PoolTimeout)
    assert server.requests.count("submitPersistJob") == 0


def test_refused_and_connect_timeout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(errors.ServerUnreachableError) as caught:
        client_for(closed).job_summary("j")
    one_line(caught.value, httpx.ConnectError)
    with connect_times_out() as url, pytest.raises(errors.ServerUnreachableError) as caught:
        client_for(url, connect_timeout=0.3).job_summary("j")
    one_line(caught.value, httpx.ConnectTimeout)


def raising(httpx_class: type[Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if httpx_class is httpx.HTTPStatusError:
            raise httpx.HTTPStatusError("500", request=request, response=httpx.Response(500, request=request))
        if httpx_class is httpx.HTTPError:  # the one class without a request
            raise httpx.HTTPError("the mocked failure")
        raise httpx_class("the mocked failure", request=request)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("httpx_class", sorted(MOCKED, key=lambda cls: cls.__name__), ids=lambda cls: cls.__name__)
def test_what_no_server_can_make_is_one_line_too(httpx_class):
    client = client_for("http://sqlflow.test:8165", transport=raising(httpx_class))
    with pytest.raises(errors.SQLFlowError) as caught:
        client.job_summary(JOB["jobId"])
    one_line(caught.value, httpx_class)
    with pytest.raises(errors.SQLFlowError) as caught:
        client.submit_persist_job(SMALL)
    one_line(caught.value, httpx_class)
