"""Held status requests, an extension of the local server: displayUserJobSummary with waitMillis answers
once the job is final (or when the wait runs out, or the server stops), in the very shape of an ordinary
summary; a waitMillis that is not a whole number of milliseconds up to 10 s is refused in one line."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from sqlflow_magic.server import EmbeddedServer
from tests.support.server_api import Api, big_script

pytestmark = pytest.mark.server


def test_a_held_status_of_a_running_job_is_answered_once_the_job_is_final(api: Api) -> None:
    token = api.token()
    job_id = api.submit([("big.sql", big_script(600))], token=token)["data"]["jobId"]  # analysed for a while
    answer = api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis="10000")
    assert answer["code"] == 200 and answer["data"]["status"] == "success"


def test_a_held_status_of_a_job_that_stays_queued_is_the_ordinary_summary_after_the_wait(paused_api: Api) -> None:
    token = paused_api.token()
    job_id = paused_api.submit([("a.sql", b"select 1 from t")], token=token)["data"]["jobId"]
    held = paused_api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis="50")
    plain = paused_api.call("displayUserJobSummary", token=token, jobId=job_id)
    assert held == plain and held["data"]["status"] == "create"


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "10001", "²"])
def test_a_wait_that_is_not_whole_milliseconds_up_to_ten_seconds_is_refused_in_one_line(paused_api: Api, value) -> None:
    token = paused_api.token()
    job_id = paused_api.submit([("a.sql", b"select 1 from t")], token=token)["data"]["jobId"]
    answer = paused_api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis=value)
    assert answer["code"] == 400
    assert answer["error"] == f"waitMillis must be a whole number of milliseconds from 0 to 10000, not {value!r}"


def test_stopping_the_server_answers_a_held_status_at_once(server_config) -> None:
    server = EmbeddedServer(dataclasses.replace(server_config, run_worker=False)).start()
    api = Api(server.base_url)
    token = api.token()
    job_id = api.submit([("a.sql", b"select 1 from t")], token=token)["data"]["jobId"]
    answers: list[dict] = []
    held = threading.Thread(target=lambda: answers.append(
        api.call("displayUserJobSummary", token=token, jobId=job_id, waitMillis="10000")))
    held.start()
    settled = server._app.state.context.worker.settled  # no public sign that a request is held: peek, to stop then
    while not settled._watchers:
        threading.Event().wait(0.01)
    server.stop()
    held.join()
    api.client.close()
    assert answers and answers[0]["data"]["status"] == "create"  # answered, not cut off by the shutdown
