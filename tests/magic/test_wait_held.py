"""--wait against a server on this machine asks for held polls (waitMillis): the embedded server answers the
first one when the job is final, so a job is seen done without a single pause; a server that ignores the field
is polled on the usual pauses, and a server elsewhere is never sent it."""

from __future__ import annotations

import time

import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.models import Job
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.client.waiting import LOCAL_POLLS, REMOTE_POLLS, wait_for_job
from sqlflow_magic.display.render import ServerInfo
from sqlflow_magic.magic.following import follow, new_panel
from tests.support.fault_server import JOB, fault_server, form_fields, scripted

pytestmark = pytest.mark.server

#: 300 statements: analysed for a good while after the submit answers, so no first poll could find it done.
SCRIPT = "\n".join(f"INSERT INTO dw.t{i % 9} SELECT a, b FROM src.s{i % 13} WHERE c > {i};" for i in range(300))


def test_a_wait_on_the_embedded_server_sees_the_job_final_on_its_first_poll_without_a_pause(shell):
    assert shell.run("%%sqlflow_submit\n" + SCRIPT).success
    magics = shell.magics
    client = magics.connections.client(magics.effective_settings())
    pauses: list[float] = []

    def sleep(seconds):
        pauses.append(seconds)
        time.sleep(seconds)

    panel = new_panel(shell.ns["sqlflow_job"], client, magics.connections.server_info(client.settings))
    job = follow(panel, client, 60, sleep=sleep)
    assert job.status == "success" and pauses == []


def status_fields(server):
    return [dict(form_fields(body)) for path, body in zip(server.requests, server.bodies, strict=True)
            if path == "displayUserJobSummary"]


def test_a_loopback_server_that_ignores_the_hold_is_polled_on_the_usual_pauses():
    pauses: list[float] = []
    with fault_server(scripted({"status": "success"}, polls=3)) as server, \
            SQLFlowClient(ClientSettings(server.url)) as client:
        panel = new_panel(Job.from_api({**JOB, "status": "create"}), client, ServerInfo(server.url, False))
        follow(panel, client, 60, sleep=pauses.append)
    held = [fields.get("waitMillis") for fields in status_fields(server)]
    assert held == ["1000"] * 4 and pauses == [LOCAL_POLLS.initial, 0.03, 0.045]


def test_a_server_elsewhere_is_never_asked_to_hold_a_poll():
    with fault_server(scripted({"status": "success"}, polls=2)) as server, \
            SQLFlowClient(ClientSettings(server.url)) as client:
        wait_for_job(JOB["jobId"], lambda: client.job_summary(JOB["jobId"], hold=REMOTE_POLLS.hold), max_wait=60,
                     schedule=REMOTE_POLLS, sleep=lambda seconds: None)
    assert all("waitMillis" not in fields for fields in status_fields(server))
