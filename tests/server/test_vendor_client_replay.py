"""SQLFlow's own clients, request for request, against ``sqlflow-magic serve``.

The vendor publishes its clients in the public repository sqlparser/sqlflow_public; CI cannot hold
their code, so each test here replays the requests one of them sends, with the same paths, form
encodings and fields, and checks what the client would check and save: every export must be the
real format (JSON lineage, CSV, GraphML), never an error body saved under the export's name.

- the Python client (``api/python/advanced``: ``GetGenerateToken`` -> ``SubmitJob`` -> ``GetJobStatus``
  -> ``GetResultToSqlflow``; urlencoded fields, a multipart ``sqlfiles`` part, the token ``code``
  compared with the string "200", the job ``code`` with the int 200);
- the Java client (``api/java``: every field a multipart text part, exports with ``tableToTable=true``);
- the single-call scripts (``api/python/basic``: the generation CSV export with a ``sqlfile`` part,
  ``checksyntax.py`` and ``toxml.py``, which read ``data`` before ``code``; the C# client's
  ``/version`` and generation call with a trailing slash).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import networkx
import pytest

from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from tests.support.serve_process import start_serve
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

SQL = b"""INSERT INTO dw.order_totals (customer_id, total)
SELECT o.customer_id, SUM(o.amount) FROM sales.orders o WHERE o.status = 'PAID' GROUP BY o.customer_id;
CREATE VIEW dw.big_customers AS SELECT customer_id FROM dw.order_totals WHERE total > 1000;
"""
CSV_HEADER = ("source_db,source_schema,source_table,source_column,target_db,target_schema,target_table,target_column,"
              "relation_type,effect_type")
#: What the Python client's getResult saves for each download type: endpoint and file suffix.
DOWNLOADS = {"json": ("exportLineageAsJson", "_json.json"), "csv": ("exportLineageAsCsv", "_csv.csv"),
             "graphml": ("exportLineageAsGraphml", "_graphml.graphml")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sqlflow-magic serve`` in a subprocess; its address as the clients take it (server and port)."""
    process, url = start_serve(tmp_path_factory.mktemp("serve"))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"{url}/version", data={"userId": ON_PREMISE_USER_ID})
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "sqlflow-magic serve did not come up"
                time.sleep(0.05)
        yield url.removesuffix("/gspLive_backend")
    finally:
        process.terminate()
        process.communicate(timeout=10)


def python_client_run(server: str, user_id: str, secret_key: str, sql_file: Path, out: Path) -> dict[str, Path]:
    """What ``Grabit.py /s SERVER /u USER /k KEY /t mssql /f FILE /r TYPE`` does, once per download type."""
    with httpx.Client(timeout=30) as http:
        if user_id == ON_PREMISE_USER_ID:
            token = "token"
        else:
            result = json.loads(http.post(f"{server}/gspLive_backend/user/generateToken",
                                          data={"secretKey": secret_key, "userId": user_id},
                                          headers={"Content-Type": "application/x-www-form-urlencoded"}).text)
            assert result["code"] == "200", result  # the client compares with the string
            token = result["token"]
        saved = {}
        for download, (endpoint, suffix) in DOWNLOADS.items():
            with sql_file.open("rb") as sql:
                result = json.loads(http.post(f"{server}/gspLive_backend/sqlflow/job/submitUserJob",
                                              data={"dbvendor": "dbvmssql", "jobName": "20261206", "token": token,
                                                    "userId": user_id}, files={"sqlfiles": sql}).text)
            assert result["code"] == 200, result
            job_id = result["data"]["jobId"]
            for _poll in range(2000):  # the client polls without a pause; this replay pauses a little
                result = json.loads(http.post(f"{server}/gspLive_backend/sqlflow/job/displayUserJobSummary",
                                              data={"jobId": job_id, "token": token, "userId": user_id}).text)
                assert result["code"] == 200, result
                status = result["data"]["status"]
                assert status != "fail", result["data"]["errorMessage"]
                if status in ("partial_success", "success"):
                    break
                time.sleep(0.02)
            response = http.post(f"{server}/gspLive_backend/sqlflow/job/{endpoint}",
                                 data={"jobId": job_id, "token": token, "userId": user_id, "tableToTable": "false"})
            path = out / f"data/result/20261206_{job_id}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(response.content)
            saved[download] = path
    return saved


def assert_real_exports(saved: dict[str, Path], table_level: bool = False) -> None:
    """Each saved file is its format, with the lineage in it, and not an error body."""
    lineage = json.loads(saved["json"].read_text(encoding="utf-8"))
    assert lineage["code"] == 200 and "error" not in lineage
    names = {obj["name"] for obj in lineage["data"]["sqlflow"]["dbobjs"]}
    assert {"sales.orders", "dw.order_totals", "dw.big_customers"} <= names
    assert {rel["type"] for rel in lineage["data"]["sqlflow"]["relationships"]} == {"fdd"}  # the server's default
    csv_lines = saved["csv"].read_text(encoding="utf-8").splitlines()
    assert csv_lines[0] == CSV_HEADER and not saved["csv"].read_text().lstrip().startswith("{")
    column = "TABLE" if table_level else "amount"
    assert f"DEFAULT,sales,orders,{column},DEFAULT,dw,order_totals," in "\n".join(csv_lines)
    graph = networkx.read_graphml(io.BytesIO(saved["graphml"].read_bytes()))
    labels = {data["label"] for _node, data in graph.nodes(data=True)}
    assert {"sales.orders", "dw.order_totals", "dw.big_customers"} <= labels and graph.number_of_edges() > 0


@pytest.mark.parametrize(("user_id", "secret_key"), [(ON_PREMISE_USER_ID, ""), (ALICE, ALICE_SECRET)],
                         ids=["on-premise user", "user with a secret key"])
def test_the_python_client_saves_real_exports(server, tmp_path, user_id, secret_key):
    sql_file = tmp_path / "lineage.sql"
    sql_file.write_bytes(SQL)
    assert_real_exports(python_client_run(server, user_id, secret_key, sql_file, tmp_path))


def multipart(**fields: str) -> dict[str, Any]:
    return {name: (None, value, "text/plain") for name, value in fields.items()}


def test_the_java_client_saves_real_table_level_exports(server, tmp_path):
    """``Runner.java``: the on-premise user (token "token"), multipart text fields, exports with tableToTable=true."""
    saved = {}
    with httpx.Client(timeout=30) as http:
        for download, (endpoint, suffix) in DOWNLOADS.items():
            fields = multipart(dbvendor="dbvmssql", jobName="20261206_1765000000000", token="token",
                               userId=ON_PREMISE_USER_ID)
            result = http.post(f"{server}/gspLive_backend/sqlflow/job/submitUserJob",
                               files={**fields, "sqlfiles": ("lineage.sql", SQL, "application/octet-stream")}).json()
            assert result["code"] == 200, result
            job_id = result["data"]["jobId"]
            while True:
                status = http.post(f"{server}/gspLive_backend/sqlflow/job/displayUserJobSummary",
                                   files=multipart(jobId=job_id, token="token", userId=ON_PREMISE_USER_ID)).json()
                if status["code"] == 200 and status["data"]["status"] in ("success", "partial_success"):
                    break
                assert status["data"]["status"] != "fail"
                time.sleep(0.02)
            response = http.post(f"{server}/gspLive_backend/sqlflow/job/{endpoint}", files=multipart(
                jobId=job_id, userId=ON_PREMISE_USER_ID, token="token", tableToTable="true"))
            saved[download] = tmp_path / f"{download}{suffix}"
            saved[download].write_bytes(response.content)
    assert_real_exports(saved, table_level=True)


def test_the_basic_scripts_get_what_they_read(server, tmp_path):
    """getcsv.py, checksyntax.py, toxml.py, and the C# client's version and generation calls."""
    with httpx.Client(timeout=30) as http:
        for endpoint in ("exportFullLineageAsCsv", "exportLineageAsCsv"):  # getcsv.py: data plus a sqlfile part
            data = {"dbvendor": "dbvmssql", "token": "token", "userId": ON_PREMISE_USER_ID, "delimiter": ",",
                    "showConstantTable": "true"}
            text = http.post(f"{server}/api/gspLive_backend/sqlflow/generation/sqlflow/{endpoint}", data=data,
                             files={"sqlfile": ("test.sql", SQL)}).text
            assert text.splitlines()[0] == CSV_HEADER and ",sales,orders,amount," in text
        form = {"sql": "select * fro1m table1", "dbvendor": "dbvoracle", "userId": ON_PREMISE_USER_ID, "token": "token"}
        for path in ("demo/syntax/check", "demo/xml/toXML"):  # both read data.usedTime and data['gsp.version'] first
            result = json.loads(http.post(f"{server}/api/gspLive_backend/{path}", data=form).text)
            assert isinstance(result["data"]["usedTime"], str) and isinstance(result["data"]["gsp.version"], str)
            if result["code"] != 200:
                assert result["error"] and (path.endswith("toXML") or result["data"]["errorInfos"])
        version = http.post(f"{server}/gspLive_backend/version", files=multipart(userId=ON_PREMISE_USER_ID),
                            headers={"Authorization": "Token"}).json()
        assert version["version"]["gsp"]["version"] and "release.date" in version["version"]["backend"]
        csharp = http.post(f"{server}/gspLive_backend/sqlflow/generation/sqlflow/", files={
            "sqlfile": ("sqlfile", SQL), **multipart(dbvendor="dbvmssql", showRelationType="fdd", simpleOutput="False",
                                                     ignoreRecordSet="False", ignoreFunction="False",
                                                     userId=ON_PREMISE_USER_ID, token="")}).json()
        assert csharp["code"] == 200 and csharp["data"]["dbobjs"]  # the C# client checks data and data.dbobjs
