"""What survives a restart, and the store the lineage worker will use."""

from __future__ import annotations

import threading

import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.store import JobStore, SqlFile
from tests.support.server_api import Api
from tests.support.users import ALICE

pytestmark = pytest.mark.server


def test_jobs_files_and_tokens_survive_a_restart(server_config: ServerConfig) -> None:
    with EmbeddedServer(server_config) as server:
        api = Api(server.base_url)
        token = api.token()
        submitted = api.submit([("keep.sql", b"select 'kept'")], token=token)["data"]
    restarted = ServerConfig(db_path=server_config.db_path, users=server_config.users)
    with EmbeddedServer(restarted) as server:
        api = Api(server.base_url)
        answer = api.call("displayUserJobSummary", token=token, jobId=submitted["jobId"])
        assert answer["code"] == 200
        assert answer["data"]["fileNames"] == ["keep.sql"]
    store = JobStore(server_config.db_path)
    try:
        assert store.job_files(submitted["jobId"]) == [SqlFile("keep.sql", b"select 'kept'")]
    finally:
        store.close()


def test_concurrent_submits_are_all_kept(api: Api) -> None:
    token = api.token()
    answers: list[dict] = []

    def submit(number: int) -> None:
        answers.append(api.submit([(f"{number}.sql", b"select %d" % number)], token=token))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer["code"] for answer in answers] == [200] * 12
    assert api.call("displayUserJobsSummary", token=token)["data"]["total"] == 12


def test_store_status_changes_for_the_worker(server_config: ServerConfig) -> None:
    store = JobStore(server_config.db_path)
    try:
        job = store.create_job("a" * 32, ALICE, "j", "dbvoracle", True, {}, [SqlFile("a.sql", b"select 1")])
        assert [j.job_id for j in store.jobs_with_status("create")] == [job.job_id]
        assert store.set_status(job.job_id, "process", only_if_status="create")
        assert not store.set_status(job.job_id, "process", only_if_status="create")
        store.add_files(job.job_id, [SqlFile("b.sql", b"select 2")], replace=False, changes={})
        assert not store.set_status(job.job_id, "success", only_if_revision=job.revision)
        assert store.set_status(job.job_id, "fail", error_message="boom", execute_time_millis=61_500)
        failed = store.get_job(job.job_id)
        assert failed is not None
        assert (failed.status, failed.error_message, failed.execute_time_millis) == ("fail", "boom", 61_500)
        assert failed.last_execute_time is not None
        store.put_result(job.job_id, "lineage.json", b"{}")
        assert store.get_result(job.job_id, "lineage.json") == b"{}"
        assert store.get_result(job.job_id, "other") is None
    finally:
        store.close()


def test_summary_shows_an_error_message_and_run_time(api: Api, server_config: ServerConfig) -> None:
    job_id = api.submit([("a.sql", b"select 1")])["data"]["jobId"]
    store = JobStore(server_config.db_path)
    try:
        store.set_status(job_id, "fail", error_message="syntax error at line 1", execute_time_millis=61_500)
    finally:
        store.close()
    summary = api.call("displayUserJobSummary", jobId=job_id)["data"]
    assert (summary["status"], summary["errorMessage"], summary["executeTime"]) == (
        "fail",
        "syntax error at line 1",
        "1min 1sec",
    )
    assert api.call("displayUserJobsSummary")["data"]["fail"] == 1


def test_a_view_is_stored_only_while_its_analysis_is_the_latest(server_config: ServerConfig) -> None:
    store = JobStore(server_config.db_path)
    try:
        store.create_job("a" * 32, ALICE, "j", "dbvoracle", True, {}, [SqlFile("a.sql", b"select 1")])
        store.set_status("a" * 32, "success", session_id="first_1")
        assert store.put_result("a" * 32, "view/x", b"old", only_if_session="first_1")
        store.set_status("a" * 32, "success", session_id="second_2", results={"lineage.json": b"{}"})
        assert store.get_result("a" * 32, "view/x") is None  # a new analysis drops the views of the old one
        assert not store.put_result("a" * 32, "view/x", b"late", only_if_session="first_1")  # rendered from the old
        assert store.get_result("a" * 32, "view/x") is None
    finally:
        store.close()
