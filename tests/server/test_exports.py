"""Lineage exports of finished jobs (JSON, CSV, GraphML) and the synchronous generation endpoint."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import networkx
import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.server_api import FIRST, SECOND, Api, running_server, wait_for_final
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server

HEADER = (
    "source_db,source_schema,source_table,source_column,target_db,target_schema,target_table,target_column,"
    "relation_type,effect_type"
)
EXPORTS = ("exportLineageAsJson", "exportFullLineageAsJson", "exportFullLineageAsCsv", "exportLineageAsGraphml")


@dataclass
class Finished:
    server: EmbeddedServer
    api: Api
    job_id: str  # success: FIRST and SECOND
    failed_id: str


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Finished]:
    """One server for the module, with a finished job and a failed one (Alice's)."""
    db_path: Path = tmp_path_factory.mktemp("exports") / "jobs.sqlite3"
    config = ServerConfig(db_path=db_path, users={ALICE: ALICE_SECRET, BOB: BOB_SECRET})
    with running_server(config) as (server, api):
        job_id = api.submit([("first.sql", FIRST), ("second.sql", SECOND)])["data"]["jobId"]
        failed_id = api.submit([("blob.sql", b"\x00\x01\x02" * 100)])["data"]["jobId"]
        assert wait_for_final(api, job_id)["status"] == "success"
        assert wait_for_final(api, failed_id)["status"] == "fail"
        yield Finished(server, api, job_id, failed_id)


def export(api: Api, endpoint: str, prefix: str = "/gspLive_backend", **fields: str) -> httpx.Response:
    data = {"userId": ALICE, "token": api.token(), **fields}
    return api.client.post(f"{prefix}/sqlflow/job/{endpoint}", data=data)


@pytest.mark.parametrize("prefix", ["/gspLive_backend", "/api/gspLive_backend"])
@pytest.mark.parametrize("endpoint", ["exportLineageAsJson", "exportFullLineageAsJson"])
def test_json_export_is_the_lineage(finished: Finished, endpoint: str, prefix: str) -> None:
    response = export(finished.api, endpoint, prefix, jobId=finished.job_id)
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["code"], body["jobId"]) == (200, finished.job_id)
    assert re.fullmatch(r"[0-9a-f]{64}_\d{13}", body["sessionId"])
    sqlflow = body["data"]["sqlflow"]
    tables = {obj["name"] for obj in sqlflow["dbobjs"] if obj["type"] == "table"}
    assert {"t1", "t2", "t3", "t4"} <= tables
    flows = {(rel["sources"][0]["column"], rel["target"]["column"]) for rel in sqlflow["relationships"]}
    assert {("x", "a"), ("y", "b"), ("z", "c")} <= flows


def test_table_level_json_has_table_columns_only(finished: Finished) -> None:
    body = export(finished.api, "exportFullLineageAsJson", jobId=finished.job_id, tableToTable="true").json()
    tables = [obj for obj in body["data"]["sqlflow"]["dbobjs"] if obj["type"] == "table"]
    assert tables and all([column["name"] for column in obj["columns"]] == ["TABLE"] for obj in tables)


def test_csv_export_header_rows_and_delimiters(finished: Finished) -> None:
    response = export(finished.api, "exportFullLineageAsCsv", jobId=finished.job_id)
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == HEADER
    assert "DEFAULT,DEFAULT,t1,x,DEFAULT,DEFAULT,t2,a,fdd,insert" in lines
    semicolons = export(finished.api, "exportFullLineageAsCsv", jobId=finished.job_id, delimiter=";").text
    assert semicolons.splitlines() == [line.replace(",", ";") for line in lines]
    tabs = export(finished.api, "exportFullLineageAsCsv", jobId=finished.job_id, delimiter="\t").text
    assert tabs.splitlines()[0] == HEADER.replace(",", "\t")
    tables = export(finished.api, "exportFullLineageAsCsv", jobId=finished.job_id, tableToTable="true").text
    rows = [line.split(",") for line in tables.splitlines()[1:]]
    assert rows and all(row[3] == row[7] == "TABLE" for row in rows)
    assert ["DEFAULT", "DEFAULT", "t3", "TABLE", "DEFAULT", "DEFAULT", "t4", "TABLE", "fdd", "insert"] in rows
    bad = export(finished.api, "exportFullLineageAsCsv", jobId=finished.job_id, delimiter="ab").json()
    assert bad["code"] == 400 and "delimiter" in bad["error"]


@pytest.mark.parametrize("table_level", ["false", "true"])
def test_graphml_export_reads_as_a_graph(finished: Finished, table_level: str) -> None:
    response = export(finished.api, "exportLineageAsGraphml", jobId=finished.job_id, tableToTable=table_level)
    assert response.headers["content-type"] == "application/xml"
    graph = networkx.read_graphml(io.BytesIO(response.content))
    labels = {data.get("label") for _node, data in graph.nodes(data=True)}
    assert {"t1", "t2", "t3", "t4"} <= labels
    if table_level == "false":
        assert {"t1.x", "t2.a"} <= labels
    assert graph.number_of_edges() > 0


def test_empty_job_id_means_the_latest_job(finished: Finished) -> None:
    api = finished.api
    token = api.token(BOB, BOB_SECRET)
    older = api.submit([("a.sql", FIRST)], user_id=BOB, token=token)["data"]["jobId"]
    newer = api.submit([("b.sql", SECOND)], user_id=BOB, token=token)["data"]["jobId"]
    for job_id in (older, newer):
        wait_for_final(api, job_id, user_id=BOB, token=token)
    data = {"userId": BOB, "token": token, "jobId": ""}
    body = api.client.post("/gspLive_backend/sqlflow/job/exportFullLineageAsJson", data=data).json()
    assert body["jobId"] == newer
    csv = api.client.post("/gspLive_backend/sqlflow/job/exportFullLineageAsCsv", data=data).text
    assert ",t3,z," in csv and ",t1,x," not in csv


@pytest.mark.parametrize("endpoint", EXPORTS)
def test_exports_of_failed_missing_or_foreign_jobs_are_errors(finished: Finished, endpoint: str) -> None:
    api = finished.api
    failed = export(api, endpoint, jobId=finished.failed_id).json()
    assert failed["code"] == 400 and "binary content" in failed["error"]
    assert export(api, endpoint, jobId="f" * 32).json()["code"] == 404
    assert export(api, endpoint, jobId="not-an-id").json()["code"] == 400
    data = {"userId": BOB, "token": api.token(BOB, BOB_SECRET), "jobId": finished.job_id}
    assert api.client.post(f"/gspLive_backend/sqlflow/job/{endpoint}", data=data).json()["code"] == 404
    assert api.client.post(f"/gspLive_backend/sqlflow/job/{endpoint}", data={"jobId": ""}).json()["code"] == 401


def test_the_error_of_a_failed_job_is_one_line_when_a_zip_member_s_name_has_a_line_break(api: Api) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("a\nb.sql", "select from where;")
    job_id = api.submit([("x.zip", archive.getvalue())])["data"]["jobId"]
    assert wait_for_final(api, job_id)["status"] == "fail"
    error = export(api, "exportLineageAsJson", jobId=job_id).json()["error"]
    assert error.splitlines() == [error] and "x.zip/a\\nb.sql line 1" in error


def test_exports_of_unfinished_jobs_are_refused(paused_api: Api) -> None:
    job_id = paused_api.submit([("a.sql", FIRST)])["data"]["jobId"]
    for endpoint in EXPORTS:
        answer = export(paused_api, endpoint, jobId=job_id).json()
        assert answer["code"] == 409
        assert answer["error"] == f"job {job_id} is still create: wait until it is success or partial_success"


def test_a_finished_job_without_stored_lineage_is_analysed_again(server_config: ServerConfig, api: Api) -> None:
    job_id = api.submit([("a.sql", FIRST)])["data"]["jobId"]
    wait_for_final(api, job_id)
    with contextlib.closing(sqlite3.connect(server_config.db_path)) as conn, conn:
        conn.execute("DELETE FROM job_results WHERE job_id = ?", (job_id,))  # as if finished by an older version
    answer = api.call("exportFullLineageAsJson", jobId=job_id)
    assert answer["code"] == 409 and "analysed again" in answer["error"]
    assert wait_for_final(api, job_id)["status"] == "success"
    assert api.call("exportFullLineageAsJson", jobId=job_id)["code"] == 200


def generate(api: Api, files: list[tuple[str, bytes]] | None = None, **fields: str) -> dict[str, Any]:
    data = {"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle", **fields}
    parts = [("sqlfile", (name, content, "application/sql")) for name, content in files or []]
    return api.client.post("/api/gspLive_backend/sqlflow/generation/sqlflow", data=data, files=parts or None).json()


def test_generation_answers_the_lineage_of_sqltext_or_a_sqlfile(finished: Finished) -> None:
    api = finished.api
    from_text = generate(api, sqltext=FIRST.decode())
    assert from_text["code"] == 200
    assert {"dbvendor", "dbobjs", "relationships"} <= set(from_text["data"])
    assert {obj["name"] for obj in from_text["data"]["dbobjs"] if obj["type"] == "table"} == {"t1", "t2"}
    from_file = generate(api, [("q.sql", SECOND)], defaultSchema="SALES")
    assert from_file["code"] == 200
    assert {obj.get("schema") for obj in from_file["data"]["dbobjs"] if obj["type"] == "table"} == {"SALES"}
    partial = generate(api, sqltext="insert into t2 (a) select x from t1;\nselect from where;")
    assert partial["code"] == 203 and "Syntax error" in partial["error"]
    assert generate(api)["code"] == 400
    assert generate(api, sqltext="select 1", dbvendor="nosuchdb")["code"] == 400
    assert generate(api, sqltext="select 1", token="forged")["code"] == 403
