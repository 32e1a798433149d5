"""The client's TLS trust, against a real TLS server on loopback with a certificate from a test CA (trustme).

The default context is made once per process and shared by every client (httpx would read certifi's
bundle again for each one); it must still refuse a certificate it does not trust, take ``ca_bundle``
and follow ``SSL_CERT_FILE`` as httpx does.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from sqlflow_magic.client import SQLFlowClient, errors
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.client.tls import trusted_certificates
from tests.support.fault_server import JOB, Answer, FaultServer

pytestmark = pytest.mark.server

OK = Answer(200, {"code": 200, "data": JOB})


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@contextmanager
def tls_server(ca: trustme.CA) -> Iterator[str]:
    """The base URL of a loopback server whose certificate ``ca`` signed for 127.0.0.1."""
    server = FaultServer(lambda path, n: OK)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.replace("http://", "https://")
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def job_id_over_tls(url: str, **settings: str) -> str:
    with SQLFlowClient(ClientSettings(url, user_id="gudu|0123456789", secret_key="sk-0123456789abcdef",
                                      max_retries=0, **settings)) as client:
        return client.job_summary(JOB["jobId"]).job_id


def test_clients_share_one_default_context():
    assert trusted_certificates(None) is trusted_certificates(None)


def test_the_shared_default_refuses_a_certificate_it_does_not_trust(ca, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with tls_server(ca) as url, pytest.raises(errors.TLSError, match="certificate"):
        job_id_over_tls(url)


def test_ca_bundle_trusts_the_server(ca, tmp_path: Path):
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with tls_server(ca) as url:
        assert job_id_over_tls(url, ca_bundle=str(bundle)) == JOB["jobId"]


def test_ssl_cert_file_is_followed_when_it_changes(ca, tmp_path: Path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with tls_server(ca) as url:
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        assert job_id_over_tls(url) == JOB["jobId"]
        monkeypatch.delenv("SSL_CERT_FILE")
        with pytest.raises(errors.TLSError):
            job_id_over_tls(url)
