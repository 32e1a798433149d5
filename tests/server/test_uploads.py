"""Uploads: spooled to disk, at most ``max_concurrent_uploads`` at once, the caller's credentials checked before
a large body is accepted (docs/security.md, "Uploads").

Bodies are generated while they are sent; the bytes the client handed over (``StreamedBody.sent``) show how
much the server read before it answered: a refused body stops at the pre-auth budget (1 MiB) plus what the
sockets' buffers hold, far below its size.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.access import INVALID_TOKEN, USER_ID_REQUIRED, WRONG_CREDENTIALS
from tests.support.big_bodies import MIB, SQL_HEAD, StreamedBody, multipart_upload, read_answer, send_head
from tests.support.serve_process import peak_rss_bytes, start_serve, wait_until_serving
from tests.support.server_api import Api
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

PREFIX = "/gspLive_backend"
SUBMIT = f"{PREFIX}/sqlflow/job/submitPersistJob"
TOKEN = f"{PREFIX}/user/generateToken"
STRANGER = "mallory@example.com"
#: A refused body may get this far: the pre-auth budget, then what the sockets' buffers take before the answer.
READ_BOUND = 32 * MIB
BIG = 128 * MIB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    config = ServerConfig(db_path=tmp_path_factory.mktemp("uploads") / "jobs.sqlite3", users={ALICE: ALICE_SECRET},
                          max_concurrent_uploads=2)
    with EmbeddedServer(config) as running:
        yield running


@pytest.fixture
def api(server: EmbeddedServer) -> Iterator[Api]:
    client = Api(server.base_url)
    client.client.timeout = httpx.Timeout(60)
    yield client
    client.client.close()


def post(api: Api, path: str, body: StreamedBody) -> dict[str, object]:
    answer: dict[str, object] = api.client.post(path, content=body, headers=body.headers).json()
    return answer


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's peak memory from Linux /proc")
def test_a_128_mib_upload_grows_the_server_by_less_than_a_quarter_of_it(tmp_path: Path) -> None:
    budgets = [f"max_request_sql_bytes={2 * BIG}", f"max_job_sql_bytes={2 * BIG}"]  # over the defaults' 64 MiB
    process, url = start_serve(tmp_path, *(option for budget in budgets for option in ("--set", budget)))
    try:
        wait_until_serving(process, url)
        with httpx.Client(timeout=120) as client:
            token = client.post(f"{url}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
            fields = {"userId": ALICE, "token": token["token"], "dbvendor": "dbvoracle"}
            before = peak_rss_bytes(process.pid)
            body = multipart_upload(fields, BIG, fill=b"\0")  # binary: the analysis skips it at once
            answer = client.post(f"{url}/sqlflow/job/submitPersistJob", content=body, headers=body.headers).json()
            assert answer["code"] == 200, answer
            job_id = answer["data"]["jobId"]
            deadline = time.monotonic() + 60
            while (summary := client.post(f"{url}/sqlflow/job/displayUserJobSummary",
                                          data={**fields, "jobId": job_id}).json()["data"])["status"] in ("create",
                                                                                                          "process"):
                assert time.monotonic() < deadline, summary
                time.sleep(0.1)
            growth = peak_rss_bytes(process.pid) - before
        assert summary["status"] == "fail" and "binary content" in summary["errorMessage"], summary  # it was read
        assert growth < BIG / 4, f"the server grew by {growth / MIB:.0f} MiB for a {BIG / MIB:.0f} MiB upload"
    finally:
        process.terminate()
        process.communicate(timeout=20)
    with sqlite3.connect(tmp_path / "cli.sqlite3") as stored:  # every byte kept
        sizes = stored.execute("SELECT (SELECT SUM(length(content)) FROM files), "
                               "(SELECT COALESCE(SUM(length(data)), 0) FROM file_chunks)").fetchone()
    assert sum(sizes) == len(SQL_HEAD) + BIG


def test_uploads_past_max_concurrent_uploads_are_refused_before_their_body_is_read(server: EmbeddedServer,
                                                                                  api: Api) -> None:
    url = f"{server.base_url}{SUBMIT}?userId={ALICE}&token={api.token()}&dbvendor=dbvoracle"
    held = [send_head(url, 100 * MIB) for _ in range(2)]
    try:
        for sock in held:
            assert read_answer(sock).status == 100  # the server reads this body: it holds a slot
        refused = send_head(url, 100 * MIB)
        answer = read_answer(refused)
        refused.close()
        assert answer.status == 503, answer  # at once, without a 100 Continue: nothing of its body was read
        assert answer.json()["code"] == 503 and "max_concurrent_uploads" in str(answer.json()["error"])
        assert answer.headers["retry-after"] == "2" and answer.headers["connection"] == "close"
        assert api.call("displayUserJobsSummary")["code"] == 200  # small requests never need a slot
        assert api.submit([("small.sql", SQL_HEAD)])["code"] == 200
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10  # the server frees the slots once it sees the connections closed
    while (answer := api.submit([("big.sql", SQL_HEAD + b" " * (2 * MIB))]))["code"] == 503:
        assert time.monotonic() < deadline, answer
        time.sleep(0.05)
    assert answer["code"] == 200, answer


def test_a_body_that_stops_arriving_is_answered_408_and_frees_its_slot(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET}, max_concurrent_uploads=1,
                          body_idle_timeout_seconds=0.5)
    with EmbeddedServer(config) as server:
        api = Api(server.base_url)
        url = f"{server.base_url}{SUBMIT}?userId={ALICE}&token={api.token()}&dbvendor=dbvoracle"
        stalled = send_head(url, 100 * MIB)
        try:
            assert read_answer(stalled).status == 100
            stalled.sendall(b"--b\r\n")  # a little of the body, then nothing
            answer = read_answer(stalled)
            assert answer.status == 408 and "body_idle_timeout_seconds" in str(answer.json()["error"])
            assert answer.headers["connection"] == "close"
        finally:
            stalled.close()
        assert api.submit([("big.sql", SQL_HEAD + b" " * (2 * MIB))])["code"] == 200  # the one slot is free


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
def test_an_unknown_user_posting_a_big_body_to_generate_token_is_refused_after_the_budget(api: Api,
                                                                                         form: str) -> None:
    fields = {"userId": STRANGER, "secretKey": "guessed"}
    if form == "multipart":
        body = multipart_upload(fields, BIG, file_field="padding")
    else:
        body = StreamedBody(f"userId={STRANGER}&secretKey=guessed&padding=".encode(), BIG, fill=b"x",
                            content_type="application/x-www-form-urlencoded")
    answer = post(api, TOKEN, body)
    assert (answer["code"], answer["error"]) == (401, WRONG_CREDENTIALS)
    assert body.sent < READ_BOUND, f"{body.sent / MIB:.0f} MiB read before the 401"


@pytest.mark.parametrize("user_id", [STRANGER, ALICE], ids=["unknown user", "known user"])
def test_a_big_upload_with_a_bad_token_is_refused_as_soon_as_its_fields_are_read(api: Api, user_id: str) -> None:
    body = multipart_upload({"userId": user_id, "token": "not-a-token", "dbvendor": "dbvoracle"}, BIG)
    answer = post(api, SUBMIT, body)
    assert (answer["code"], answer["error"]) == (403, INVALID_TOKEN)  # one answer whether the user exists or not
    assert body.sent < READ_BOUND, f"{body.sent / MIB:.0f} MiB read before the 403"


def test_credentials_sent_after_a_big_file_come_too_late(api: Api) -> None:
    body = multipart_upload({"dbvendor": "dbvoracle"}, BIG, fields_after={"userId": ALICE, "token": api.token()})
    answer = post(api, SUBMIT, body)
    assert (answer["code"], answer.get("error")) == (401, USER_ID_REQUIRED), answer
    assert body.sent < READ_BOUND, f"{body.sent / MIB:.0f} MiB read before the 401"


def test_bad_credentials_in_the_query_string_are_refused_before_the_body(server: EmbeddedServer) -> None:
    sock = send_head(f"{server.base_url}{SUBMIT}?userId={STRANGER}&token=not-a-token", BIG)
    try:
        answer = read_answer(sock)  # the final answer, not a 100 Continue: the body was never asked for
    finally:
        sock.close()
    assert answer.status == 200, answer
    assert answer.json() == {"code": 403, "error": INVALID_TOKEN}
    assert answer.headers["connection"] == "close"


def test_an_endpoint_that_takes_no_files_reads_at_most_the_budget(api: Api) -> None:
    body = multipart_upload({"userId": ALICE, "token": api.token()}, 2 * MIB)
    answer = post(api, f"{PREFIX}/sqlflow/job/displayUserJobsSummary", body)
    assert answer["code"] == 413 and "max_preauth_bytes" in str(answer["error"]), answer


def test_a_big_sqlfile_of_the_generation_endpoint_is_analysed_from_disk_then_removed(
        api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # this process's temp folder (the server's) of its own: other runs on the machine spool uploads too
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spooled = set(Path(tempfile.gettempdir()).glob("sqlflow-magic-upload-*"))
    body = multipart_upload({"userId": ALICE, "token": api.token(), "dbvendor": "dbvoracle"}, 3 * MIB,
                            file_field="sqlfile")
    answer = post(api, f"{PREFIX}/sqlflow/generation/sqlflow", body)
    assert answer["code"] == 200, answer
    assert {"t1", "t2"} <= {table["name"] for table in answer["data"]["dbobjs"]}  # type: ignore[index]
    assert set(Path(tempfile.gettempdir()).glob("sqlflow-magic-upload-*")) == spooled
