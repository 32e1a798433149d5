"""Following and deleting jobs, and answers to wrong paths and methods."""

from __future__ import annotations

import pytest

from tests.support.server_api import Api
from tests.support.users import BOB, BOB_SECRET

pytestmark = pytest.mark.server

SUMMARY_FIELDS = {
    "jobId",
    "jobName",
    "userId",
    "dbVendor",
    "dataSource",
    "fileNames",
    "createTime",
    "status",
    "sessionId",
    "executeTime",
    "executeTimeMillis",
    "onTop",
    "parallel",
    "persist",
    "incremental",
    "schedulable",
    "cancelSchedule",
    "lastExecuteTime",
    "subJobs",
    "version",
    "userEmail",
    "showRelationType",
    "ignoreRecordSet",
    "ignoreFunction",
}


def test_job_summary_has_every_field(paused_api: Api) -> None:
    api = paused_api
    submitted = api.submit([("a.sql", b"select 1")], jobName="daily", defaultSchema="SALES")["data"]
    answer = api.call("displayUserJobSummary", jobId=submitted["jobId"])
    assert answer["code"] == 200
    summary = answer["data"]
    assert SUMMARY_FIELDS <= set(summary)
    assert "errorMessage" not in summary
    assert {key: summary[key] for key in submitted} == submitted
    assert (summary["executeTime"], summary["executeTimeMillis"]) == ("0min 0sec", 0)
    assert (summary["persist"], summary["incremental"], summary["subJobs"]) == (True, True, [])
    assert summary["defaultSchema"] == "SALES"
    # SQLFlow writes "" (not null) where a text is unset, and the display settings the lineage shows with
    assert (summary["sessionId"], summary["lastExecuteTime"], summary["defaultDatabase"], summary["userEmail"]) == (
        "", "", "", "")
    assert (summary["showRelationType"], summary["ignoreRecordSet"], summary["ignoreFunction"]) == ("fdd", True, True)
    assert None not in summary.values()
    by_name = api.call("displayUserJobSummary", jobName="daily")
    assert by_name["data"]["jobId"] == submitted["jobId"]


@pytest.mark.parametrize("fields", [{"jobId": "f" * 32}, {"jobName": "nope"}, {}, {"jobId": "zz"}])
def test_summary_of_a_missing_job_is_an_error(shared_api: Api, fields: dict[str, str]) -> None:
    answer = shared_api.call("displayUserJobSummary", **fields)
    assert answer["code"] in (400, 404)
    assert answer["error"]


def test_jobs_of_other_users_are_invisible(api: Api) -> None:
    job_id = api.submit([("a.sql", b"select 1")])["data"]["jobId"]
    bob_token = api.token(BOB, BOB_SECRET)
    assert api.call("displayUserJobSummary", user_id=BOB, token=bob_token, jobId=job_id)["code"] == 404
    assert api.call("displayUserJobsSummary", user_id=BOB, token=bob_token)["data"]["total"] == 0
    assert api.call("deleteUserJob", user_id=BOB, token=bob_token, jobId=job_id)["code"] == 404
    assert api.call("displayUserJobSummary", jobId=job_id)["code"] == 200


def test_jobs_summary_lists_the_users_jobs(paused_api: Api) -> None:
    api = paused_api
    first = api.submit([("a.sql", b"select 1")])["data"]["jobId"]
    second = api.submit([("b.sql", b"select 2")], path="/gspLive_backend/sqlflow/job/submitUserJob", jobName="b")
    answer = api.call("displayUserJobsSummary")
    assert answer["code"] == 200
    data = answer["data"]
    assert (data["total"], data["success"], data["partialSuccess"], data["fail"]) == (2, 0, 0, 0)
    assert set(data["jobIds"]) == {first, second["data"]["jobId"]}
    assert [job["jobId"] for job in data["jobDetails"]] == data["jobIds"]
    assert {job["persist"] for job in data["jobDetails"]} == {True, False}


def test_delete_answers_the_job_and_removes_it(api: Api) -> None:
    kept = api.submit([("a.sql", b"select 1")])["data"]["jobId"]
    doomed = api.submit([("b.sql", b"select 2")])["data"]["jobId"]
    answer = api.call("deleteUserJob", jobId=doomed)
    assert answer["code"] == 200
    assert (answer["data"]["jobId"], answer["data"]["status"]) == (doomed, "delete")
    assert answer["data"]["fileNames"] == ["b.sql"]
    assert api.call("displayUserJobsSummary")["data"]["jobIds"] == [kept]
    assert api.call("displayUserJobSummary", jobId=doomed)["code"] == 404
    assert api.call("deleteUserJob", jobId=doomed)["code"] == 404
    assert api.submit([("c.sql", b"select 3")], jobId=doomed)["code"] == 404
    assert api.call("deleteUserJob")["code"] == 400


def test_unknown_paths_and_methods_answer_json(api: Api) -> None:
    missing = api.client.post("/gspLive_backend/sqlflow/job/noSuchCall")
    assert missing.status_code == 404
    assert missing.json()["code"] == 404
    wrong_method = api.client.get("/gspLive_backend/user/generateToken")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == 405
