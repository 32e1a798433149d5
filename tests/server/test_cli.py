"""``sqlflow-magic serve`` in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sqlflow_magic.protocol import ON_PREMISE_TOKEN, ON_PREMISE_USER_ID
from sqlflow_magic.server.engine_build import engine_build
from sqlflow_magic.server.runner import listening_socket
from tests.support.serve_process import start_serve, wait_until_serving
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server


def test_serve_runs_until_terminated(tmp_path: Path) -> None:
    process, url = start_serve(tmp_path)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.post(f"{url}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET})
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.05)
        assert answer.json()["code"] == "200"
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    assert stdout.splitlines() == [f"sqlflow-magic local SQLFlow server: {url}",
                                   f"sqlflow-magic lineage engine: {engine_build()}"]
    assert ALICE_SECRET not in stdout + stderr


def test_serve_reports_a_bad_users_file(tmp_path: Path) -> None:
    users_file = tmp_path / "users.json"
    users_file.write_text("[1, 2]")
    result = subprocess.run(
        [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--users-file", str(users_file)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "JSON object" in result.stderr


def test_the_banners_address_takes_connections_before_uvicorn_runs() -> None:
    """``serve`` prints its URL once the socket exists; a client that connects at once is queued, not refused."""
    sock = listening_socket("127.0.0.1", 0)
    try:
        socket.create_connection(sock.getsockname()[:2], timeout=5).close()
    finally:
        sock.close()


def test_serve_analyses_jobs_and_stops_quickly(tmp_path: Path) -> None:
    process, url = start_serve(tmp_path)
    try:
        assert process.stdout is not None and process.stdout.readline().strip().endswith(url)
        with httpx.Client(base_url=url, timeout=10) as client:
            token = client.post("/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
            fields = {"userId": ALICE, "token": token["token"], "dbvendor": "dbvoracle"}
            sql = ("a.sql", b"insert into t2 (a) select x from t1;")
            submitted = client.post("/sqlflow/job/submitPersistJob", data=fields, files=[("sqlfiles", sql)]).json()
            fields["jobId"] = submitted["data"]["jobId"]
            deadline = time.monotonic() + 20
            while True:
                status = client.post("/sqlflow/job/displayUserJobSummary", data=fields).json()["data"]["status"]
                if status not in ("create", "process"):
                    break
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert status == "success"
            assert "t1,x" in client.post("/sqlflow/job/exportFullLineageAsCsv", data=fields).text
        started = time.monotonic()
        process.terminate()
        process.communicate(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def onprem_code(url: str) -> tuple[object, str]:
    """The code and error a tokenless on-premise user's call gets."""
    answer = httpx.post(f"{url}/sqlflow/job/displayUserJobsSummary", data={"userId": ON_PREMISE_USER_ID,
                                                                           "token": ON_PREMISE_TOKEN}).json()
    return answer["code"], answer.get("error", "")


@pytest.mark.parametrize("options", [(), ("--allow-onprem-user",)])
def test_serve_beyond_loopback_refuses_the_onprem_user_unless_allowed(tmp_path: Path, options: tuple[str, ...]) -> None:
    process, url = start_serve(tmp_path, "--host", "0.0.0.0", *options)
    try:
        wait_until_serving(process, url)
        code, error = onprem_code(url)
        token = httpx.post(f"{url}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
        alices = httpx.post(f"{url}/sqlflow/job/displayUserJobsSummary", data={"userId": ALICE, **token}).json()
    finally:
        process.terminate()
        _stdout, stderr = process.communicate(timeout=10)
    assert alices["code"] == 200
    if options:
        assert code == 200
        assert "warning: the on-premise user gudu|0123456789 needs no token" in stderr
    else:
        assert code == 401 and "--allow-onprem-user" in error
        assert "the on-premise user gudu|0123456789 is refused" in stderr


def test_serve_on_loopback_lets_the_onprem_user_in(tmp_path: Path) -> None:
    process, url = start_serve(tmp_path)
    try:
        wait_until_serving(process, url)
        assert onprem_code(url)[0] == 200
    finally:
        process.terminate()
        _stdout, stderr = process.communicate(timeout=10)
    assert "on-premise" not in stderr


def test_serve_set_changes_a_limit(tmp_path: Path) -> None:
    process, url = start_serve(tmp_path, "--set", "max_request_sql_bytes=50", "--set", "max-request-sql-files=5")
    try:
        wait_until_serving(process, url)
        with httpx.Client(base_url=url, timeout=10) as client:
            token = client.post("/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
            fields = {"userId": ALICE, "token": token["token"], "dbvendor": "dbvoracle"}
            sql = ("a.sql", b"insert into t2 (a) select x from t1 where x > 0 and x < 1000 order by x, a, b, c;")
            answer = client.post("/sqlflow/job/submitPersistJob", data=fields, files=[("sqlfiles", sql)]).json()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert answer["code"] == 413 and "max_request_sql_bytes" in answer["error"]


@pytest.mark.parametrize(("setting", "complaint"), [
    ("max_upload_byte=5", "NAME one of"),
    ("max_upload_bytes", "give NAME=VALUE"),
    ("max_upload_bytes=lots", "takes a whole number"),
    ("analysis_processes=9", "analysis_processes must be from 1 to 8"),
])
def test_serve_refuses_a_bad_setting_in_one_line(tmp_path: Path, setting: str, complaint: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--db", str(tmp_path / "jobs.sqlite3"), "--set", setting],
        capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 2 and complaint in result.stderr
    assert "Traceback" not in result.stderr
