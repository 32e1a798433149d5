"""One connection kept between calls (client/kept_connection.py): calls in a row share it, and a call on it
still ends at its deadline; a connection a deadline shut down, or one in use, is never handed to another
call. Against a real loopback server that keeps connections alive (the fault server, in HTTP/1.1)."""

from __future__ import annotations

import threading

import pytest

from sqlflow_magic.client import SQLFlowClient, errors
from sqlflow_magic.client.settings import ClientSettings
from tests.support.fault_server import JOB, Answer, fault_server

pytestmark = pytest.mark.server

STATUS = "displayUserJobSummary"
ANSWER = Answer(200, {"code": 200, "data": JOB})


def answers_but(faults: dict[int, Answer]):
    """A script answering every status request with the job, except the n-th ones given in ``faults``."""
    return lambda path, n: faults.get(n, ANSWER)


def test_calls_in_a_row_share_one_connection():
    with fault_server(answers_but({}), keep_alive=True) as server, \
            SQLFlowClient(ClientSettings(server.url)) as client:
        for _ in range(3):
            client.job_summary(JOB["jobId"])
    assert len(server.connections) == 3 and len(set(server.connections)) == 1


def test_a_call_on_a_kept_connection_is_cut_at_its_deadline_even_when_the_answer_trickles():
    trickled = Answer(200, {"code": 200, "data": JOB}, header_delay=0.2)  # a byte every 0.2 s: no read times out
    with fault_server(answers_but({2: trickled}), keep_alive=True) as server, \
            SQLFlowClient(ClientSettings(server.url, request_deadline=1)) as client:
        client.job_summary(JOB["jobId"])
        with pytest.raises(errors.RequestDeadlineError):
            client.job_summary(JOB["jobId"])
        assert server.connections[1] == server.connections[0]  # the second call reused the first one's connection
        assert server.hung_up_on(STATUS)  # its deadline shut that connection down while the answer trickled


def test_a_connection_shut_by_a_deadline_is_never_used_again():
    trickled = Answer(200, {"code": 200, "data": JOB}, header_delay=0.2)
    with fault_server(answers_but({2: trickled}), keep_alive=True) as server, \
            SQLFlowClient(ClientSettings(server.url, request_deadline=1)) as client:
        client.job_summary(JOB["jobId"])
        with pytest.raises(errors.RequestDeadlineError):
            client.job_summary(JOB["jobId"])
        client.job_summary(JOB["jobId"])
        client.job_summary(JOB["jobId"])
    first, cut, after, next_after = server.connections
    assert cut == first and after not in (first, cut) and next_after == after


def test_a_call_made_while_another_holds_the_kept_connection_gets_one_of_its_own():
    held = threading.Event()

    def script(path, n):
        if n == 2:
            held.set()
            return Answer(200, {"code": 200, "data": JOB}, delay=1.0)
        return ANSWER

    with fault_server(script, keep_alive=True) as server, SQLFlowClient(ClientSettings(server.url)) as client:
        client.job_summary(JOB["jobId"])
        slow = threading.Thread(target=client.job_summary, args=(JOB["jobId"],))
        slow.start()
        assert held.wait(10)
        client.job_summary(JOB["jobId"])  # answered while the slow call still holds the kept connection
        slow.join()
    first, slow_call, meanwhile = server.connections
    assert slow_call == first and meanwhile != first
