"""The job worker over real HTTP: statuses move, problems are listed, restarts and time limits hold."""

from __future__ import annotations

import dataclasses
import io
import re
import threading
import time
import zipfile

import httpx
import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.store import JobStore, SqlFile
from tests.support.server_api import FIRST, SECOND, Api, big_script, running_server, wait_for_final
from tests.support.users import ALICE

pytestmark = pytest.mark.server

BROKEN = b"insert into t2 (a) select x from t1;\nselect from where;\n"


def csv_export(api: Api, job_id: str) -> str:
    token = api.token()
    data = {"userId": ALICE, "token": token, "jobId": job_id}
    response = api.client.post("/gspLive_backend/sqlflow/job/exportFullLineageAsCsv", data=data)
    assert response.headers["content-type"].startswith("text/csv"), response.text
    return response.text


def test_a_job_goes_from_create_to_success(api: Api) -> None:
    answer = api.submit([("a.sql", FIRST)])
    assert answer["data"]["status"] == "create"
    summary = wait_for_final(api, answer["data"]["jobId"])
    assert summary["status"] == "success"
    assert "errorMessage" not in summary
    assert re.fullmatch(r"\d+min \d+sec", summary["executeTime"])
    assert isinstance(summary["executeTimeMillis"], int) and summary["executeTimeMillis"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", summary["lastExecuteTime"])
    assert re.fullmatch(r"[0-9a-f]{64}_\d{13}", summary["sessionId"])
    lineage = api.call("exportFullLineageAsJson", jobId=summary["jobId"])
    assert lineage["sessionId"] == summary["sessionId"]


def test_a_syntax_error_makes_a_partial_success_that_lists_it(api: Api) -> None:
    job_id = api.submit([("broken.sql", BROKEN)])["data"]["jobId"]
    summary = wait_for_final(api, job_id)
    assert summary["status"] == "partial_success"
    assert "Syntax error" in summary["errorMessage"]
    [error] = summary["errors"]
    assert (error["errorType"], error["fileName"]) == ("SyntaxError", "broken.sql")
    assert error["coordinates"][0]["x"] == 2
    assert "t1,x" in csv_export(api, job_id)  # the good statement still has its lineage
    lineage = api.call("exportFullLineageAsJson", jobId=job_id)
    assert (lineage["code"], lineage["error"]) == (203, summary["errorMessage"])


def test_garbage_or_binary_files_fail_without_hurting_the_worker(api: Api) -> None:
    binary = api.submit([("blob.sql", bytes(range(256)) * 8)])["data"]["jobId"]
    garbage = api.submit([("prose.sql", b"this is not sql at all ;;; ???")])["data"]["jobId"]
    failed = wait_for_final(api, binary)
    assert failed["status"] == "fail"
    assert "binary" in failed["errorMessage"]
    assert failed["errors"][0]["errorType"] == "DecodeError"
    assert wait_for_final(api, garbage)["status"] == "fail"
    assert wait_for_final(api, api.submit([("a.sql", FIRST)])["data"]["jobId"])["status"] == "success"
    counts = api.call("displayUserJobsSummary")["data"]
    assert (counts["total"], counts["success"], counts["partialSuccess"], counts["fail"]) == (3, 1, 0, 2)


def test_an_incremental_submit_is_analysed_with_all_files(api: Api) -> None:
    job_id = api.submit([("first.sql", FIRST)])["data"]["jobId"]
    wait_for_final(api, job_id)
    again = api.submit([("second.sql", SECOND)], jobId=job_id)["data"]
    assert again["status"] == "create"
    summary = wait_for_final(api, job_id)
    assert (summary["status"], summary["fileNames"]) == ("success", ["first.sql", "second.sql"])
    text = csv_export(api, job_id)
    assert ",t1,x," in text and ",t3,z," in text


def test_zip_members_are_analysed_and_skipped_ones_reported(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sql/load.sql", FIRST)
        archive.writestr("README.txt", "not sql")
    job_id = api.submit([("bundle.zip", buffer.getvalue())])["data"]["jobId"]
    summary = wait_for_final(api, job_id)
    assert summary["status"] == "success"
    [skipped] = summary["errors"]
    assert skipped["errorType"] == "SkippedFile" and "README.txt" in skipped["errorMessage"]
    assert ",t1,x," in csv_export(api, job_id)


def test_corrupt_or_unsafe_zips_are_reported_not_fatal(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.sql", FIRST)
    files = [("broken.zip", b"PK\x03\x04 not really a zip"), ("evil.zip", buffer.getvalue()), ("a.sql", SECOND)]
    summary = wait_for_final(api, api.submit(files)["data"]["jobId"])
    assert summary["status"] == "partial_success"
    messages = {error["fileName"]: error["errorMessage"] for error in summary["errors"]}
    assert "not a readable zip" in messages["broken.zip"]
    assert "unsafe path" in messages["evil.zip"]
    only_a_bad_zip = api.submit([("broken.zip", b"PK\x03\x04 junk")])["data"]["jobId"]
    assert wait_for_final(api, only_a_bad_zip)["status"] == "fail"


def test_unfinished_jobs_are_analysed_after_a_restart(server_config: ServerConfig) -> None:
    paused = dataclasses.replace(server_config, run_worker=False)
    with running_server(paused) as (_server, api):
        waiting = api.submit([("a.sql", FIRST)])["data"]["jobId"]
        assert api.call("displayUserJobSummary", jobId=waiting)["data"]["status"] == "create"
    store = JobStore(server_config.db_path)
    try:  # a job a crashed server was analysing
        store.create_job("c" * 32, ALICE, "crashed", "dbvoracle", True, {}, [SqlFile("b.sql", SECOND)])
        assert store.set_status("c" * 32, "process", only_if_status="create")
    finally:
        store.close()
    with running_server(server_config) as (_server, api):
        assert wait_for_final(api, waiting)["status"] == "success"
        assert wait_for_final(api, "c" * 32)["status"] == "success"


def test_the_time_limit_fails_a_job_while_the_server_keeps_answering(server_config: ServerConfig) -> None:
    config = dataclasses.replace(server_config, job_time_limit_seconds=0.5, job_kill_grace_seconds=2)
    with running_server(config) as (_server, api):
        token = api.token()
        job_id = api.submit([("big.sql", big_script())], token=token)["data"]["jobId"]
        answers_while_analysing = 0  # a server blocked by the analysis would answer once, when it ends
        while True:
            summary = api.call("displayUserJobSummary", token=token, jobId=job_id)["data"]
            if summary["status"] in ("success", "partial_success", "fail"):
                break
            answers_while_analysing += summary["status"] == "process"
            time.sleep(0.02)
        assert summary["status"] == "fail"
        assert "time limit of 0.5 s" in summary["errorMessage"]
        assert answers_while_analysing >= 3
        assert wait_for_final(api, api.submit([("a.sql", FIRST)], token=token)["data"]["jobId"])["status"] == "success"


def test_shutdown_is_quick_and_gives_the_job_back(server_config: ServerConfig) -> None:
    with running_server(server_config) as (server, api):
        job_id = api.submit([("big.sql", big_script(20000))])["data"]["jobId"]
        deadline = time.monotonic() + 10
        while api.call("displayUserJobSummary", jobId=job_id)["data"]["status"] != "process":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
    store = JobStore(server_config.db_path)
    try:
        job = store.get_job(job_id)
        assert job is not None and job.status == "create"
    finally:
        store.close()


def test_a_request_waiting_for_an_analysis_does_not_hold_up_the_shutdown(server_config: ServerConfig) -> None:
    """The server tells the app it is stopping; the lifespan closes the worker, which answers the request at once."""
    answers: list[httpx.Response] = []
    with running_server(server_config) as (server, api):
        token = api.token()
        data = {"userId": ALICE, "token": token, "dbvendor": "dbvoracle"}
        files = {"sqlfile": ("big.sql", big_script(20000), "application/sql")}
        waiting = threading.Thread(target=lambda: answers.append(
            api.client.post("/gspLive_backend/sqlflow/generation/sqlflow", data=data, files=files, timeout=60)))
        waiting.start()
        time.sleep(1.5)  # the analysis is under way (it takes far longer than this)
        assert waiting.is_alive(), [answer.text[:300] for answer in answers]
        started = time.monotonic()
        server.stop()
        stopped_after = time.monotonic() - started
        waiting.join(10)
    assert stopped_after < 3, f"the shutdown waited {stopped_after:.1f} s for the request"
    assert [answer.json()["code"] for answer in answers] == [503]
