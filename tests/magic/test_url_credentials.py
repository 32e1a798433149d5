"""A base URL with credentials in it (``https://svc:pw@host/...``): every place that names the server
shows it masked: ``%sqlflow_config``, ``%config`` refusals, ``%sqlflow_login``, panels, dry runs and
network errors. httpx's own log records name the server without them."""

from __future__ import annotations

import base64
import getpass
import logging
import socket

import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.secrets import MASK
from sqlflow_magic.client.settings import ClientSettings
from tests.support.fault_server import JOB, fault_server, scripted
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

PASSWORD = "pw-in-the-url-42"


def with_credentials(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://svc:{PASSWORD}@{rest}"


def test_every_cell_that_names_the_server_masks_its_credentials(shell, local_server, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # httpx logs each request's URL at INFO and DEBUG
    monkeypatch.setenv("SQLFLOW_USER_ID", ALICE)
    monkeypatch.setenv("SQLFLOW_URL", with_credentials(local_server.url))
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": ALICE_SECRET)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = with_credentials(f"http://127.0.0.1:{probe.getsockname()[1]}")
    cells = ["%sqlflow_config", f"%sqlflow_login {ALICE}", "%%sqlflow_submit -d mssql --wait\nselect a from t",
             "%sqlflow_status", "%%sqlflow_submit --dry-run\nselect 1",
             f"%config SQLFlowMagics.base_url = {'htps://svc:' + PASSWORD + '@h'!r}",
             "%config SQLFlowMagics.max_retries = 0", f"%config SQLFlowMagics.base_url = {closed!r}",
             "%sqlflow_status", "%sqlflow_config"]
    runs = [shell.run(cell) for cell in cells]
    assert [run.success for run in runs] == [True, True, True, True, True, True, True, True, False, True]
    text = "\n".join(run.text() + repr(run.error) for run in runs)
    text += "\n".join(record.getMessage() for record in caplog.records)  # %config logs its refusal
    assert "misspelt scheme" in text
    assert PASSWORD not in text and "svc:" not in text
    assert f"{MASK}@127.0.0.1" in runs[0].text() and f"{MASK}@127.0.0.1" in runs[1].text()


def test_the_credentials_go_as_basic_authentication_and_the_url_without_them():
    with fault_server(scripted({"status": "success"}, polls=1)) as server:
        client = SQLFlowClient(ClientSettings(base_url=with_credentials(server.url), user_id=ALICE,
                                              secret_key=ALICE_SECRET))
        client.job_summary(JOB)
    basic = "Basic " + base64.b64encode(f"svc:{PASSWORD}".encode()).decode()
    assert server.authorizations == [basic, basic]  # generateToken, then the job's summary
