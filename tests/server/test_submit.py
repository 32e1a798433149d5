"""Submitting jobs: files, options, validation and limits."""

from __future__ import annotations

import re

import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.server_api import Api, stored_files
from tests.support.users import ALICE, BOB, BOB_SECRET

pytestmark = pytest.mark.server

SUBMIT = "/gspLive_backend/sqlflow/job/submitPersistJob"
ORACLE_SQL = b"INSERT INTO sales.daily_total SELECT day, SUM(amount) FROM sales.orders GROUP BY day;\n"
UNICODE_SQL = "-- Übersicht ✓\r\nselect 'é' from dual;\n".encode()


def test_submit_stores_exact_files_and_answers_like_sqlflow(api: Api, server_config: ServerConfig) -> None:
    files = [("1.sql", ORACLE_SQL), ("ünïcode name.sql", UNICODE_SQL), ("1.zip", b"PK\x03\x04\x00\xff binary")]
    answer = api.submit(files, jobName="job1", dbvendor="dbvmssql")
    assert answer["code"] == 200
    data = answer["data"]
    assert set(data) == {"jobId", "jobName", "userId", "dbVendor", "dataSource", "fileNames", "createTime", "status",
                         "defaultDatabase", "defaultSchema"}  # the API reference's submit answer, "" when unset
    assert data["defaultDatabase"] == data["defaultSchema"] == ""
    assert re.fullmatch(r"[0-9a-f]{32}", data["jobId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", data["createTime"])
    assert (data["jobName"], data["userId"], data["dbVendor"], data["status"]) == ("job1", ALICE, "dbvmssql", "create")
    assert data["dataSource"] == {}
    assert data["fileNames"] == ["1.sql", "ünïcode name.sql", "1.zip"]
    assert stored_files(server_config, data["jobId"]) == files


def test_submit_under_the_api_prefix_and_submit_user_job(api: Api) -> None:
    persist = api.submit([("a.sql", b"select 1")], path="/api/gspLive_backend/sqlflow/job/submitPersistJob")
    assert persist["code"] == 200
    user_job = api.submit([("b.sql", b"select 2")], path="/api/gspLive_backend/sqlflow/job/submitUserJob", jobName="b")
    assert user_job["code"] == 200
    assert user_job["data"]["fileNames"] == ["b.sql"]
    nameless = api.submit([("b.sql", b"select 2")], path="/gspLive_backend/sqlflow/job/submitUserJob")
    assert nameless["code"] == 400
    assert "jobName" in nameless["error"]


def test_data_source_is_echoed_but_the_password_is_never_stored(api: Api, server_config: ServerConfig) -> None:
    password = "pw-Zq81!never-store-me"
    answer = api.submit(
        [("a.sql", b"select 1")], hostname="db.local", port="1521", database="ORCL", account="scott", password=password
    )
    expected = {"hostname": "db.local", "port": 1521, "database": "ORCL", "account": "scott"}
    assert answer["data"]["dataSource"] == expected
    assert password not in api.client.post(SUBMIT).text
    summary = api.call("displayUserJobSummary", jobId=answer["data"]["jobId"])
    assert password not in str(summary)
    for path in server_config.db_path.parent.glob(server_config.db_path.name + "*"):
        assert password.encode() not in path.read_bytes(), path


def test_incremental_submits_append_files(api: Api, server_config: ServerConfig) -> None:
    first = api.submit([("1.sql", b"select 1")], firstSubmit="true")["data"]
    second = api.submit([("2.sql", b"select 2"), ("3.sql", b"select 3")], jobId=first["jobId"])["data"]
    third = api.submit([("4.sql", b"select 4")], jobId=first["jobId"], incremental="true")["data"]
    assert second["jobId"] == third["jobId"] == first["jobId"]
    assert third["fileNames"] == ["1.sql", "2.sql", "3.sql", "4.sql"]
    assert third["createTime"] == first["createTime"]
    assert [content for _, content in stored_files(server_config, first["jobId"])][-1] == b"select 4"


def test_a_non_incremental_submit_replaces_the_files(api: Api, server_config: ServerConfig) -> None:
    job_id = api.submit([("1.sql", b"select 1"), ("2.sql", b"select 2")])["data"]["jobId"]
    answer = api.submit([("new.sql", b"select 9")], jobId=job_id, incremental="false", dbvendor="dbvpostgresql")
    assert answer["data"]["fileNames"] == ["new.sql"]
    assert answer["data"]["dbVendor"] == "dbvpostgresql"
    assert stored_files(server_config, job_id) == [("new.sql", b"select 9")]


def test_adding_files_of_another_dialect_is_refused(api: Api) -> None:
    job_id = api.submit([("1.sql", b"select 1")])["data"]["jobId"]
    answer = api.submit([("2.sql", b"select 2")], jobId=job_id, dbvendor="dbvmysql")
    assert answer["code"] == 400
    assert "dbvoracle" in answer["error"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"dbvendor": ""}, "dbvendor is required"),
        ({"dbvendor": "mssql"}, "dbvmssql"),
        ({"dbvendor": "dbvnosuchdb"}, "unknown dbvendor"),
        ({"port": "15x21"}, "port"),
        ({"port": "70000"}, "port"),
        ({"port": "\u00b2"}, "port must be an integer"),  # "²".isdigit(), but int("²") fails
        ({"incremental": "yes"}, "incremental must be true or false"),
        ({"onTop": "1"}, "onTop"),
        ({"schedulable": "true"}, "cronExpression is required"),
        ({"schedulable": "true", "cronExpression": "every day"}, "cronExpression"),
        ({"jobId": "C359AEF4BD9641D697732422DEBD8055"}, "jobId must be 32 lowercase"),
        ({"jobId": "123"}, "jobId must be 32"),
    ],
)
def test_bad_fields_are_named_in_a_400(shared_api: Api, fields: dict[str, str], words: str) -> None:
    answer = shared_api.submit([("a.sql", b"select 1")], **fields)
    assert answer["code"] == 400
    assert words in answer["error"]


def test_schedule_options_are_kept(api: Api) -> None:
    job_id = api.submit([("a.sql", b"select 1")], schedulable="TRUE", cronExpression="0 1 * * *", onTop="true")["data"][
        "jobId"
    ]
    summary = api.call("displayUserJobSummary", jobId=job_id)["data"]
    assert (summary["schedulable"], summary["onTop"], summary["cronExpression"]) == (True, True, "0 1 * * *")


def test_unknown_or_foreign_job_ids_are_not_found(api: Api) -> None:
    bobs_job = api.submit([("b.sql", b"select 1")], user_id=BOB, token=api.token(BOB, BOB_SECRET))["data"]["jobId"]
    for job_id in (bobs_job, "0" * 32):
        answer = api.submit([("a.sql", b"select 1")], jobId=job_id)
        assert answer["code"] == 404
        assert job_id in answer["error"]


def test_a_submit_needs_files(api: Api) -> None:
    answer = api.submit([])
    assert answer["code"] == 400
    assert "sqlfiles" in answer["error"]
    as_text = api.post(SUBMIT, data={"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle", "sqlfiles": "x"})
    assert as_text["code"] == 400


def test_fields_may_come_as_query_parameters(api: Api) -> None:
    fields = {"userId": ALICE, "token": api.token(), "dbvendor": "dbvsnowflake", "jobName": "q"}
    answer = api.post(SUBMIT, params=fields, files=[("q.sql", b"select 1")])
    assert answer["code"] == 200
    assert (answer["data"]["dbVendor"], answer["data"]["jobName"]) == ("dbvsnowflake", "q")


def test_upload_limits(server_config: ServerConfig) -> None:
    server_config.max_upload_bytes = 4000
    server_config.max_files_per_request = 3
    with EmbeddedServer(server_config) as server:
        api = Api(server.base_url)
        assert api.submit([(f"{n}.sql", b"select 1") for n in range(3)])["code"] == 200
        too_many = api.client.post(
            SUBMIT,
            data={"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle"},
            files=[("sqlfiles", (f"{n}.sql", b"select 1")) for n in range(4)],
        )
        assert too_many.status_code == 413
        assert too_many.json()["code"] == 413
        assert "max_files_per_request" in too_many.json()["error"]
        too_big = api.client.post(
            SUBMIT,
            data={"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle"},
            files=[("sqlfiles", ("big.sql", b"x" * 5000))],
        )
        assert too_big.status_code == 413
        assert "4000 bytes" in too_big.json()["error"]
        streamed = api.client.post(
            SUBMIT,
            params={"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle"},
            headers={"content-type": "multipart/form-data; boundary=b"},
            content=iter(
                [b"--b\r\n", b'Content-Disposition: form-data; name="sqlfiles"; filename="a.sql"\r\n\r\n']
                + [b"y" * 1000] * 6
                + [b"\r\n--b--\r\n"]
            ),
        )
        assert streamed.status_code == 413
        assert streamed.json()["code"] == 413
        assert api.call("displayUserJobsSummary")["data"]["total"] == 1
