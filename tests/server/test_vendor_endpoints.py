"""The endpoints and fields SQLFlow's own clients use, answered as real SQLFlow servers answer them."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.models import PICTURE
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.lineage_json import read_lineage
from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.analysis import PRERENDER_FROM_BYTES
from sqlflow_magic.server.exports import ViewOptions, view_kind
from tests.support.server_api import Api, running_server, wait_for_final
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

#: A view over a join with a filter, an aggregate insert and a report: fdd and fdr flows, a result set.
SQL = b"""CREATE VIEW HR.ActiveStaff AS
SELECT e.EmployeeId, e.Name, d.DeptName FROM HR.Employee e JOIN HR.Dept d ON d.DeptId = e.DeptId WHERE e.Active = 1;
INSERT INTO Mart.DeptSize (DeptName, Staff)
SELECT DeptName, COUNT(*) FROM HR.ActiveStaff GROUP BY DeptName;
SELECT Name FROM HR.ActiveStaff;
"""
PREFIX = "/gspLive_backend"


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str]]:
    config = ServerConfig(db_path=tmp_path_factory.mktemp("vendor") / "jobs.sqlite3", users={ALICE: ALICE_SECRET})
    with running_server(config) as (_server, api):
        job_id = api.submit([("hr.sql", SQL)], dbvendor="dbvmssql")["data"]["jobId"]
        assert wait_for_final(api, job_id)["status"] == "success"
        yield api, job_id


def post(api: Api, path: str, files: list[tuple[str, tuple[str, bytes]]] | None = None,
         **fields: str) -> httpx.Response:
    return api.client.post(f"{PREFIX}{path}", data={"userId": ALICE, "token": api.token(), **fields}, files=files)


def relationships(answer: dict[str, Any]) -> list[dict[str, Any]]:
    data = answer["data"]
    return data["sqlflow"]["relationships"] if "sqlflow" in data else data["relationships"]


def test_the_default_export_holds_fdd_only_and_asked_types_add_the_rest(job):
    api, job_id = job
    default = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id).json()
    assert {rel["type"] for rel in relationships(default)} == {"fdd"}
    both = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, showRelationType="fdd,fdr").json()
    assert {rel["type"] for rel in relationships(both)} == {"fdd", "fdr"}
    assert default["data"]["summary"]["relationship"] < both["data"]["summary"]["relationship"]
    assert post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, showRelationType="join").json()["data"][
        "summary"]["relationship"] == 0
    bad = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, showRelationType="fdd,bogus").json()
    assert bad["code"] == 400 and "bogus" in bad["error"] and "showRelationType" in bad["error"]


def test_objects_are_named_as_the_sql_qualifies_them_with_the_schema_beside(job):
    api, job_id = job
    objects = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id).json()["data"]["sqlflow"]["dbobjs"]
    employee = next(obj for obj in objects if obj["name"] == "HR.Employee")
    assert (employee["type"], employee["schema"]) == ("table", "HR")
    ends = {end["parentName"] for rel in relationships(post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id)
                                                           .json()) for end in [rel["target"], *rel["sources"]]}
    assert {"HR.Employee", "HR.ActiveStaff", "Mart.DeptSize"} <= ends
    rows = list(csv.DictReader(io.StringIO(post(api, "/sqlflow/job/exportFullLineageAsCsv", jobId=job_id).text)))
    assert ("HR", "Employee", "HR", "ActiveStaff") in {
        (r["source_schema"], r["source_table"], r["target_schema"], r["target_table"]) for r in rows}


def test_summary_and_graph_are_filled_in_sqlflow_shape(job):
    api, job_id = job
    answer = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, showRelationType="fdd,fdr").json()
    summary = answer["data"]["summary"]
    assert summary["mostRelationTables"][0] == {"schema": "HR", "table": "ActiveStaff"}
    graph = answer["data"]["graph"]
    tables = graph["elements"]["tables"]
    assert {t["label"]["content"] for t in tables} >= {"HR.Employee", "HR.ActiveStaff", "Mart.DeptSize", "RS-1"}
    columns = {c["id"] for t in tables for c in t["columns"]}
    assert graph["elements"]["edges"] and all(
        e["sourceId"] in columns and e["targetId"] in columns for e in graph["elements"]["edges"])
    rel_ids = {rel["id"] for rel in relationships(answer)}
    assert all(set(ids) <= rel_ids for ids in graph["relationshipIdMap"].values())
    objects = {obj["id"] for obj in answer["data"]["sqlflow"]["dbobjs"]}
    assert all(graph["listIdMap"][t["id"]][0] in objects for t in tables)
    assert all(t["x"] < u["x"] for t in tables for u in tables if t["label"]["content"] == "HR.Employee"
               and u["label"]["content"] == "HR.ActiveStaff")  # left to right


def test_filters_and_table_level_on_exports(job):
    api, job_id = job
    report = post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, table="DeptSize").json()
    names = {obj["name"] for obj in report["data"]["sqlflow"]["dbobjs"]}
    assert "Mart.DeptSize" in names and "HR.Employee" not in names and "RS-1" not in names
    tables = list(csv.reader(io.StringIO(post(api, "/sqlflow/job/exportFullLineageAsCsv", jobId=job_id,
                                              tableToTable="true", schema="mart").text)))
    assert tables[1:] == [["DEFAULT", "HR", "ActiveStaff", "TABLE", "DEFAULT", "Mart", "DeptSize", "TABLE", "fdd",
                           "insert"]]


def test_the_plain_csv_export_has_table_to_table_rows_only(job):
    api, job_id = job
    full = list(csv.DictReader(io.StringIO(post(api, "/sqlflow/job/exportFullLineageAsCsv", jobId=job_id).text)))
    plain_response = post(api, "/sqlflow/job/exportLineageAsCsv", jobId=job_id)
    assert plain_response.headers["content-type"].startswith("text/csv")
    plain = list(csv.DictReader(io.StringIO(plain_response.text)))
    assert plain and all(r["target_table"] != "RS-1" for r in plain)
    assert any(r["target_table"] == "RS-1" for r in full)
    assert [r for r in full if r["target_table"] != "RS-1"] == plain


#: The stored name of the notebook's picture (``fdd,fdr`` as JSON), rendered with every job.
PICTURE_VIEW = view_kind("json", ViewOptions(frozenset({"fdd", "fdr"})))


def stored_views(db_path: Path, job_id: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute("SELECT kind FROM job_results WHERE job_id = ?", (job_id,)).fetchall()
    return {kind for (kind,) in rows if kind.startswith("view/")}


def test_exports_are_stored_once_rendered_and_follow_a_new_analysis(tmp_path):
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET})
    with running_server(config) as (_server, api):
        job_id = api.submit([("a.sql", b"INSERT INTO t2 SELECT a FROM t1;")])["data"]["jobId"]
        wait_for_final(api, job_id)
        assert stored_views(config.db_path, job_id) == {PICTURE_VIEW}  # a small job: only the picture rendered with it
        first = post(api, "/sqlflow/job/exportLineageAsGraphml", jobId=job_id).text
        assert len(stored_views(config.db_path, job_id)) == 2  # rendered on its first request, then stored
        assert first == post(api, "/sqlflow/job/exportLineageAsGraphml", jobId=job_id).text
        api.submit([("b.sql", b"INSERT INTO t3 SELECT a FROM t2;")], jobId=job_id, incremental="true")
        wait_for_final(api, job_id)
        assert stored_views(config.db_path, job_id) == {PICTURE_VIEW}
        second = post(api, "/sqlflow/job/exportLineageAsGraphml", jobId=job_id).text
        assert ">t3<" not in first and ">t3<" in second
        picture = post(api, "/sqlflow/job/exportFullLineageAsJson", jobId=job_id, showRelationType="fdd,fdr").text
        assert '"t3"' in picture  # the picture stored with the second analysis, not the first


def test_the_notebook_picture_of_a_small_job_is_served_from_storage(tmp_path):
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET})
    with running_server(config) as (server, api):
        job_id = api.submit([("a.sql", b"INSERT INTO t2 SELECT a FROM t1;")])["data"]["jobId"]
        wait_for_final(api, job_id)
        assert stored_views(config.db_path, job_id) == {PICTURE_VIEW}  # rendered with the job, before any request
        client = SQLFlowClient(ClientSettings(server.url, user_id=ALICE, secret_key=ALICE_SECRET))
        lineage = client.export_lineage_json(job_id, PICTURE)  # what %%sqlflow_submit --wait fetches
        assert {rel["type"] for rel in relationships(lineage)} == {"fdd"}
        assert stored_views(config.db_path, job_id) == {PICTURE_VIEW}  # the client asked for that very view


def test_a_large_job_has_its_common_exports_rendered_with_it(tmp_path):
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET})
    script = "".join(f"INSERT INTO mart.t{n} (a, b) SELECT x, y FROM stage.s{n} WHERE z > {n};\n" for n in range(1500))
    with running_server(config) as (_server, api):
        job_id = api.submit([("big.sql", script.encode())])["data"]["jobId"]
        wait_for_final(api, job_id, timeout=120)
        with contextlib.closing(sqlite3.connect(config.db_path)) as conn:
            (size,) = conn.execute("SELECT length(body) FROM job_results WHERE kind = 'lineage.json'").fetchone()
        assert size >= PRERENDER_FROM_BYTES
        stored = stored_views(config.db_path, job_id)
        assert len(stored) == 4  # what SQLFlow's clients and the notebook's picture ask for
        asked = [post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id),
                 post(api, "/sqlflow/job/exportLineageAsJson", jobId=job_id, showRelationType="fdd,fdr"),
                 post(api, "/sqlflow/job/exportLineageAsCsv", jobId=job_id),
                 post(api, "/sqlflow/job/exportFullLineageAsCsv", jobId=job_id)]
        assert all(response.status_code == 200 for response in asked)
        assert stored_views(config.db_path, job_id) == stored  # all four were served from storage


def generation(api: Api, path: str = "/sqlflow/generation/sqlflow", **fields: str) -> httpx.Response:
    """The documented curl call: multipart, an empty ``sqlfile`` text field beside ``sqltext``."""
    data = {"userId": ALICE, "token": api.token(), "dbvendor": "dbvmssql", "sqlfile": "", **fields}
    return api.client.post(f"{PREFIX}{path}", files={k: (None, v) for k, v in data.items()})


@pytest.mark.parametrize("path", ["/sqlflow/generation/sqlflow", "/sqlflow/generation/sqlflow/"])
def test_generation_takes_the_documented_curl_call_and_a_trailing_slash(job, path):
    api, _job_id = job
    answer = generation(api, path, sqltext=SQL.decode(), showRelationType="fdd").json()
    assert answer["code"] == 200 and re.fullmatch(r"[0-9a-f]{64}_\d{13}", answer["sessionId"])
    assert {"dbvendor", "dbobjs", "relationships", "summary"} <= set(answer["data"])
    assert {rel["type"] for rel in answer["data"]["relationships"]} == {"fdd"}
    graph = read_lineage(answer)
    assert ("HR.Employee", "HR.ActiveStaff") in {(graph.name(e.source), graph.name(e.target)) for e in graph.edges}


def test_the_graph_endpoint_answers_sqlflow_and_graph(job):
    api, _job_id = job
    answer = generation(api, "/sqlflow/generation/sqlflow/graph", sqltext=SQL.decode(), ignoreRecordSet="true").json()
    assert answer["code"] == 200 and set(answer["data"]) == {"mode", "summary", "sqlflow", "graph"}
    assert answer["data"]["mode"] == "global" and answer["data"]["graph"]["elements"]["tables"]
    table_level = generation(api, "/sqlflow/generation/sqlflow/graph", sqltext=SQL.decode(), tableToTable="true")
    columns = {c["name"] for obj in table_level.json()["data"]["sqlflow"]["dbobjs"] for c in obj["columns"]}
    assert columns == {"TABLE"}


@pytest.mark.parametrize(("endpoint", "result_set_rows"), [("exportFullLineageAsCsv", True),
                                                           ("exportLineageAsCsv", False)])
def test_generation_csv_exports(job, endpoint, result_set_rows):
    api, _job_id = job
    response = generation(api, f"/sqlflow/generation/sqlflow/{endpoint}", sqltext=SQL.decode(), delimiter=";")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text), delimiter=";"))
    assert rows and ("HR", "Employee") in {(r["source_schema"], r["source_table"]) for r in rows}
    assert any(r["target_table"] == "RS-1" for r in rows) is result_set_rows
    sqlfile = post(api, f"/sqlflow/generation/sqlflow/{endpoint}", files=[("sqlfile", ("q.sql", SQL))],
                   dbvendor="dbvmssql")
    assert sqlfile.text.startswith("source_db,") and "Employee" in sqlfile.text


def test_version_answers_the_versions_the_clients_read(job):
    api, _job_id = job
    answer = post(api, "/version").json()
    assert answer["code"] == 200 and answer["version"]["gsp"]["version"] and answer["version"]["backend"]["version"]
    assert "release.date" in answer["version"]["gsp"] and answer["data"]["version"] == answer["version"]


def test_syntax_check_gives_errors_with_positions(job):
    api, _job_id = job
    good = post(api, "/demo/syntax/check", sql="select a from t", dbvendor="dbvoracle").json()
    assert good["code"] == 200 and good["data"]["errorInfos"] == []
    assert isinstance(good["data"]["usedTime"], str) and isinstance(good["data"]["gsp.version"], str)
    bad = post(api, "/demo/syntax/check", sql="select a from t;\nselect * fro1m table1 where", dbvendor="dbvoracle")
    answer = bad.json()
    assert answer["code"] == 400 and answer["error"]
    (error,) = answer["data"]["errorInfos"]
    assert error["errorType"] == "SyntaxError" and error["line"] == 2 and error["errorMessage"]
    assert error["coordinates"][0]["x"] == 2


def test_to_xml_is_refused_in_the_documented_shape(job):
    api, _job_id = job
    answer = post(api, "/demo/xml/toXML", sql="select a from t", dbvendor="dbvoracle").json()
    assert answer["code"] != 200 and "not supported by the local server" in answer["error"]
    assert {"usedTime", "gsp.version"} <= set(answer["data"])  # SQLFlow's toxml.py reads both before the code


def test_vendor_result_names_in_errors(job, tmp_path: Path):
    api, _job_id = job
    answer = generation(api, sqltext="SELECT Nope FROM HR.Employee e JOIN HR.Dept d ON d.DeptId = e.DeptId").json()
    types = {error["errorType"] for error in answer["data"]["errors"]}
    assert types <= {"SyntaxError", "SyntaxHint", "LinkOrphanColumn", "AnalyzeError", "DialectFallback",
                     "UnsupportedStatement", "ProceduralCode", "Rewritten", "EmptyInput", "TimeoutError",
                     "DecodeError", "LimitExceeded"}
    assert "LinkOrphanColumn" in types, json.dumps(answer)[:500]
