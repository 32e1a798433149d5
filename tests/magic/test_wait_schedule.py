"""How soon a --wait sees a job finished: a real local server is polled from 20 ms on, not after a fixed
half second; a server's Retry-After on the status answer is honoured. The pauses are recorded (and, against
the real server, slept), so the assertions are on the schedule, never on the time taken."""

from __future__ import annotations

import time

import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.client.waiting import LOCAL_POLLS, wait_for_job
from sqlflow_magic.magic.following import follow, new_panel
from tests.support.fault_server import JOB, Answer, fault_server

pytestmark = pytest.mark.server


def prefix(schedule, count):
    intervals = schedule.intervals()
    return [next(intervals) for _ in range(count)]


def test_a_wait_on_the_embedded_server_pauses_from_20_ms_on_instead_of_half_a_second(shell):
    assert shell.run("%%sqlflow_submit\nINSERT INTO dw.totals SELECT region, SUM(amount) FROM sales.orders "
                     "GROUP BY region;").success
    magics = shell.magics
    client = magics.connections.client(magics.effective_settings())  # the magic's own client of its server
    assert client.settings.is_embedded
    pauses: list[float] = []

    def sleep(seconds):
        pauses.append(seconds)
        time.sleep(seconds)

    panel = new_panel(shell.ns["sqlflow_job"], client, magics.connections.server_info(client.settings))
    job = follow(panel, client, 60, sleep=sleep)
    assert job.status == "success"
    assert pauses == prefix(LOCAL_POLLS, len(pauses)) and 0.5 not in pauses


def test_a_status_answer_with_retry_after_gets_no_poll_sooner():
    def script(path, n):
        headers = {"Retry-After": "4"} if n < 3 else {}
        return Answer(200, {"code": 200, "data": {**JOB, "status": "process" if n < 3 else "success"}}, headers)

    pauses: list[float] = []
    with fault_server(script) as server:
        client = SQLFlowClient(ClientSettings(server.url))
        with client:
            job = wait_for_job(JOB["jobId"], lambda: client.job_summary(JOB["jobId"]), max_wait=60,
                               sleep=pauses.append)
    assert job.status == "success" and pauses == [4.0, 4.0]
