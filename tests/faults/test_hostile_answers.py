"""A hostile or broken server can neither hold a call nor fill the kernel's memory (issue 17, break 9).

Every call has a total deadline (``request_deadline``) on top of httpx's per-read timeouts, and every
answer a size cap (``max_answer_bytes``), compressed and decoded, enforced while it arrives. The servers
are real: the scripted fault server (``tests/support/fault_server.py``) trickles bodies and headers,
makes a 600 MiB answer and a gzip bomb as it sends them (it never holds them), and reads an upload at
the pace of a slow link. Memory is Python's peak over the call, measured by tracemalloc.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from sqlflow_magic.client import SQLFlowClient, errors
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import DEFAULT_MAX_ANSWER_BYTES, ClientSettings
from tests.support.fault_server import JOB, MIB, Answer, endless, fault_server, gzip_bomb, trickle

pytestmark = pytest.mark.server

SECRET = "sk-0123456789abcdef"
SMALL = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1"),))
#: 1 KiB every 0.2 s for up to 20 s: the call must end long before the answer does.
TRICKLED = Answer(200, chunks=trickle(piece=1024, every=0.2, for_seconds=20))
HUGE = 600 * MIB


def client_for(url: str, **settings) -> SQLFlowClient:
    options = {"user_id": "gudu|0123456789", "secret_key": SECRET, "max_retries": 0, **settings}
    return SQLFlowClient(ClientSettings(url, **options), sleep=lambda seconds: None)


def one_line(error: BaseException) -> str:
    lines = error._render_traceback_()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "\n" not in lines[0] and SECRET not in lines[0], lines
    return lines[0]


def failure_of(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises (the test fails if it raises none)."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the call succeeded")


@contextmanager
def python_memory_peak() -> Iterator[list[int]]:
    """Python's peak memory over the block, above its level on entry, in bytes (in the list, on exit)."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1] - start)
        tracemalloc.stop()


# --- the deadline ------------------------------------------------------------------------------


def test_a_trickled_answer_ends_at_the_deadline_with_one_line():
    with fault_server(lambda path, n: TRICKLED) as server:
        with pytest.raises(errors.RequestDeadlineError) as caught:
            client_for(server.url, request_deadline=1).jobs_summary()
        assert server.hung_up_on("displayUserJobsSummary")  # long before the trickle's end
    line = one_line(caught.value)
    assert "Listing your jobs" in line and "did not finish within request_deadline (1 s)" in line
    assert "raise SQLFlowMagics.request_deadline" in line


def test_trickled_headers_end_at_the_deadline_too():
    """A byte of the headers every 0.05 s, for 25 s: each read is quick, and only the deadline's timer, which
    shuts the connection, ends the wait (the answer is never checked between the bytes of its headers)."""
    slow_headers = Answer(200, {"code": 200, "data": JOB}, {"x-padding": "p" * 400}, header_delay=0.05)
    with fault_server(lambda path, n: slow_headers) as server:
        with pytest.raises(errors.RequestDeadlineError, match=r"request_deadline \(1 s\)"):
            client_for(server.url, request_deadline=1, read_timeout=30).job_summary(JOB["jobId"])
        assert server.hung_up_on("displayUserJobSummary")


def test_jobs_in_a_cell_end_at_the_deadline_with_one_line(shell):
    with fault_server(lambda path, n: TRICKLED) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        shell.ip.run_line_magic("config", "SQLFlowMagics.request_deadline = 1")
        run = shell.run("%sqlflow_jobs")
    assert not run.success and isinstance(run.error, errors.RequestDeadlineError)
    [line] = (run.stdout + run.stderr).strip().splitlines()
    assert "did not finish within request_deadline (1 s)" in line and "SQLFlowMagics.request_deadline" in line


def test_a_submit_past_the_deadline_is_not_sent_again():
    def script(path, n):
        return TRICKLED if path == "submitPersistJob" else Answer(200, {"code": 200, "data": JOB})

    with fault_server(script) as server:
        with pytest.raises(errors.SubmitOutcomeUnknownError) as caught:
            client_for(server.url, request_deadline=1, max_retries=3).submit_persist_job(SMALL)
    line = one_line(caught.value)
    assert "did not finish within request_deadline (1 s)" in line and "%sqlflow_jobs" in line
    assert server.requests.count("submitPersistJob") == 1


def test_retries_stop_when_the_deadline_leaves_no_time_for_them():
    busy = Answer(503, {"code": 503, "error": "busy"}, {"Retry-After": "2"})
    sleeps: list[float] = []
    with fault_server(lambda path, n: busy) as server:
        settings = ClientSettings(server.url, request_deadline=1, max_retries=3)
        with pytest.raises(errors.ServerError):
            SQLFlowClient(settings, sleep=sleeps.append).job_summary(JOB["jobId"])
    assert sleeps == [] and server.requests.count("displayUserJobSummary") == 1


def test_a_big_upload_on_a_slow_link_gets_the_time_it_needs():
    """12 MiB read at 4 MiB/s takes 3 s: the deadline of 1 s grows by 1 s per 128 KiB uploaded."""
    big = SubmitRequest("dbvmssql", (UploadFile.from_text("select 1;\n" * (12 * MIB // 10)),))
    slow_link = Answer(200, {"code": 200, "data": JOB}, read_rate=4 * MIB)
    with fault_server(lambda path, n: slow_link) as server:
        job = client_for(server.url, request_deadline=1).submit_persist_job(big)
    assert job.job_id == JOB["jobId"] and server.requests.count("submitPersistJob") == 1


# --- the answer cap ----------------------------------------------------------------------------


def test_a_600_mib_answer_is_refused_at_the_cap_without_being_held():
    with fault_server(lambda path, n: Answer(200, chunks=endless(HUGE))) as server:
        client = client_for(server.url, max_answer_bytes=16 * MIB)
        with python_memory_peak() as peak:
            error = failure_of(lambda: client.export_lineage_json(JOB["jobId"]))
    assert peak[0] < 100 * MIB, f"the client's memory grew by {peak[0] / MIB:.0f} MiB"
    assert server.sent["exportFullLineageAsJson"] < HUGE  # the client stopped reading
    assert isinstance(error, errors.AnswerTooLargeError)
    line = one_line(error)
    assert "Fetching the lineage" in line and "larger than max_answer_bytes (16 MiB)" in line
    assert "raise SQLFlowMagics.max_answer_bytes" in line


def test_the_default_cap_never_holds_more_than_the_cap():
    with fault_server(lambda path, n: Answer(200, chunks=endless(HUGE))) as server:
        client = client_for(server.url)
        with python_memory_peak() as peak:
            error = failure_of(client.jobs_summary)
    assert peak[0] < DEFAULT_MAX_ANSWER_BYTES + 32 * MIB, f"the client's memory grew by {peak[0] / MIB:.0f} MiB"
    assert isinstance(error, errors.AnswerTooLargeError) and "(256 MiB)" in str(error)


def test_an_announced_size_over_the_cap_is_refused_before_the_body():
    announced = Answer(200, chunks=endless(HUGE), headers={"content-length": str(HUGE)})
    with fault_server(lambda path, n: announced) as server:
        client = client_for(server.url, max_answer_bytes=16 * MIB)
        with python_memory_peak() as peak:
            error = failure_of(lambda: client.job_summary(JOB["jobId"]))
    assert peak[0] < 16 * MIB, f"the client's memory grew by {peak[0] / MIB:.0f} MiB"
    assert isinstance(error, errors.AnswerTooLargeError)
    assert "larger than max_answer_bytes (16 MiB): it announced 600 MiB" in one_line(error)


def test_a_gzip_bomb_is_refused_at_the_cap_of_decoded_bytes():
    """0.5 MB of gzip that expands to 512 MiB: the compressed bytes are far below the cap, the decoded ones not."""
    bomb = Answer(200, chunks=gzip_bomb(512), headers={"content-encoding": "gzip"})
    with fault_server(lambda path, n: bomb) as server:
        client = client_for(server.url, max_answer_bytes=16 * MIB)
        with python_memory_peak() as peak:
            error = failure_of(client.jobs_summary)
    assert peak[0] < 100 * MIB, f"the client's memory grew by {peak[0] / MIB:.0f} MiB"
    assert isinstance(error, errors.AnswerTooLargeError) and "(16 MiB)" in str(error)


def test_a_600_mib_answer_in_a_cell_leaves_the_kernel_small(shell):
    with fault_server(lambda path, n: Answer(200, chunks=endless(HUGE))) as server:
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        shell.ip.run_line_magic("config", f"SQLFlowMagics.max_answer_bytes = {32 * MIB}")
        with python_memory_peak() as peak:
            run = shell.run("%sqlflow_jobs")
    assert peak[0] < 100 * MIB, f"the kernel's memory grew by {peak[0] / MIB:.0f} MiB"
    assert not run.success and isinstance(run.error, errors.AnswerTooLargeError)
    [line] = (run.stdout + run.stderr).strip().splitlines()
    assert "larger than max_answer_bytes (32 MiB)" in line and "SQLFlowMagics.max_answer_bytes" in line


def test_a_small_gzip_answer_is_read_as_before():
    import gzip
    import json

    body = gzip.compress(json.dumps({"code": 200, "data": JOB}).encode())
    with fault_server(lambda path, n: Answer(200, body, {"content-encoding": "gzip"})) as server:
        assert client_for(server.url, max_answer_bytes=4096).job_summary(JOB["jobId"]).job_id == JOB["jobId"]


def test_an_answer_in_an_encoding_not_asked_for_is_refused():
    with fault_server(lambda path, n: Answer(200, b"\x1b\x00\x00", {"content-encoding": "br"})) as server:
        with pytest.raises(errors.BadResponseError) as caught:
            client_for(server.url).job_summary(JOB["jobId"])
    assert "Content-Encoding 'br', which it did not ask for (gzip, deflate)" in one_line(caught.value)
