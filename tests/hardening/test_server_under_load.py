"""The local server under load and faults: binding, access control, limits, 8 x 250 submits, kill -9, hostile files.

Every server here listens on 127.0.0.1 only; every wait is bounded. The load and crash tests run a real
``sqlflow-magic serve`` subprocess (its job worker on, as users run it) and check what the clients were
told against what the server lists and what its job store holds, byte for byte.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from starlette.routing import Mount, Route

from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.server import EmbeddedServer, ServerConfig, create_app
from sqlflow_magic.server.store import JobStore
from sqlflow_magic.server.tokens import issue_token
from tests.support import hostile_files
from tests.support.load_checks import (
    digests,
    listed_jobs,
    replay,
    status_counts,
    stored_digests,
    table_counts,
    wait_until_all_final,
)
from tests.support.load_client import (
    FINAL,
    PREFIX,
    LoadPlan,
    ServerProcess,
    run_clients,
    sha256_of,
    write_users_file,
)
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.slow

CLIENTS = 8
SUBMITS = 250
#: A run of the load takes about 7 s on 2 cores; this bound only stops a hung run.
LOAD_TIMEOUT = 240.0
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")


def load_users(count: int = CLIENTS) -> dict[str, str]:
    """One user per load client, so each client's jobs can be listed on their own."""
    return {f"load-{number}@example.com": f"sk-load-{number}-5e1f" for number in range(count)}


# -- binding ----------------------------------------------------------------------------------
def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on TCP ``port`` (from ``/proc/net/tcp`` and ``tcp6``)."""
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            columns = line.split()
            address, _, port_hex = columns[1].partition(":")
            if columns[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8))
                found.add(socket.inet_ntop(family, raw))
    return found


def assert_loopback_only(port: int) -> None:
    assert listening_addresses(port) == {"127.0.0.1"}
    with pytest.raises(httpx.ConnectError):  # another loopback address: refused unless bound to 0.0.0.0
        httpx.post(f"http://127.0.0.2:{port}{PREFIX}/user/generateToken", timeout=5)


@linux_only
def test_embedded_server_listens_on_loopback_only_by_default(tmp_path: Path) -> None:
    with EmbeddedServer(ServerConfig(db_path=tmp_path / "jobs.sqlite3")) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert_loopback_only(server.port)


@linux_only
def test_cli_serve_without_host_listens_on_loopback_only(tmp_path: Path) -> None:
    users_file = write_users_file(tmp_path / "users.json", {ALICE: ALICE_SECRET})
    server = ServerProcess(tmp_path / "jobs.sqlite3", users_file, host=None).start()
    try:
        assert "--host" not in server.command()
        assert server.url.startswith("http://127.0.0.1:")
        assert_loopback_only(int(server.base_url.rsplit(":", 1)[1]))
    finally:
        server.stop()


# -- access -----------------------------------------------------------------------------------
def registered_paths(config: ServerConfig, tmp_path: Path) -> list[str]:
    """Every path the app serves, read from its routes; fails on a route this test would not see."""
    store = JobStore(tmp_path / "routes.sqlite3")
    try:
        app = create_app(config, store=store)
    finally:
        store.close()
    paths = []
    for mount in app.routes:
        assert isinstance(mount, Mount), f"a route outside the API prefixes: {mount}"
        for route in mount.routes:
            assert isinstance(route, Route), f"a route of an unexpected kind: {route}"
            paths.append(mount.path + route.path)
    return paths


def post_raw(client: httpx.Client, path: str, headers: dict[str, str] | None = None, **fields: str) -> httpx.Response:
    """POST a complete multipart request: a SQL file and every field an endpoint may want."""
    parts = [("sqlfiles", ("a.sql", b"select a from t", "application/sql"))]
    parts.append(("sqlfile", ("b.sql", b"select b from t", "application/sql")))
    common = {"dbvendor": "dbvoracle", "jobName": "probe", "sqltext": "select 1 from dual", "incremental": "true"}
    return client.post(path, data={**common, **fields}, files=parts, headers=headers)


def post(client: httpx.Client, path: str, headers: dict[str, str] | None = None, **fields: str) -> dict:
    """:func:`post_raw`, whose answer must be JSON; return it."""
    response = post_raw(client, path, headers, **fields)
    assert response.headers["content-type"].startswith("application/json"), (path, response.text[:200])
    return response.json()


def token_of(client: httpx.Client, user_id: str, secret_key: str) -> str:
    """A token for ``user_id``."""
    answer = client.post(f"{PREFIX}/user/generateToken", data={"userId": user_id, "secretKey": secret_key}).json()
    assert answer["code"] == "200", answer
    return answer["token"]


def test_every_route_needs_a_valid_token(tmp_path: Path) -> None:
    secret = "a-fixed-signing-key-for-this-test-only-0123456789"
    users = {ALICE: ALICE_SECRET, BOB: BOB_SECRET}
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users=users, jwt_secret=secret)
    paths = registered_paths(config, tmp_path)
    guarded = [path for path in paths if not path.endswith("/user/generateToken")]
    assert len(guarded) == len(paths) - 2 >= 20
    for prefix in ("/gspLive_backend", "/api/gspLive_backend"):  # the same endpoints under both prefixes
        assert sorted(p.removeprefix(prefix) for p in paths if p.startswith(f"{prefix}/")) == sorted(
            p.removeprefix("/gspLive_backend") for p in paths if p.startswith("/gspLive_backend/")
        )
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        alice, bob = token_of(client, ALICE, ALICE_SECRET), token_of(client, BOB, BOB_SECRET)
        job = post(client, f"{PREFIX}/sqlflow/job/submitPersistJob", userId=ALICE, token=alice)["data"]
        expired = issue_token(secret, ALICE, 60, now=time.time() - 3600)
        bad_tokens = {  # case -> (fields, headers, code)
            "missing userId": ({}, {}, 401),
            "unknown userId": ({"userId": "mallory@example.com", "token": alice}, {}, 403),  # as a known one
            "no token": ({"userId": ALICE}, {}, 403),
            "garbage token": ({"userId": ALICE, "token": "not.a.jwt"}, {}, 403),
            "another user's token": ({"userId": ALICE, "token": bob}, {}, 403),
            "expired token": ({"userId": ALICE, "token": expired}, {}, 403),
            "token of another key": ({"userId": ALICE, "token": issue_token("x" * 48, ALICE, 3600)}, {}, 403),
            "garbage header": ({"userId": ALICE}, {"authorization": "Token not.a.jwt"}, 403),
        }
        for path in guarded:
            for case, (fields, headers, code) in bad_tokens.items():
                answer = post(client, path, headers, jobId=job["jobId"], **fields)
                assert answer["code"] == code and "error" in answer and "data" not in answer, (path, case, answer)
        # nothing happened: Alice's job is untouched and no other job exists
        assert table_counts(config.db_path) == (1, 1)
        assert stored_digests(config.db_path, [job["jobId"]])[job["jobId"]] == [
            ("a.sql", sha256_of(b"select a from t"))
        ]
        # the on-premise user needs no token, and still sees no one else's job
        for path in guarded:
            response = post_raw(client, path, userId=ON_PREMISE_USER_ID, jobId=job["jobId"])
            assert response.status_code == 200, (path, response.text[:200])
            if not response.headers["content-type"].startswith("application/json"):
                assert path.rstrip("/").endswith("Csv"), path  # a generation CSV: it answered, so it let the user in
                continue
            answer = response.json()
            assert answer["code"] not in (401, 403), (path, answer)
            if path.endswith("displayUserJobsSummary"):
                assert job["jobId"] not in answer["data"]["jobIds"]
            elif "/sqlflow/job/" in path and not path.endswith("submitUserJob"):  # the endpoints taking a jobId
                assert answer["code"] == 404, (path, answer)
        # the control: Alice's valid token opens every route (deleting her job comes last)
        for path in sorted(guarded, key=lambda path: path.endswith("deleteUserJob")):
            response = post_raw(client, path, userId=ALICE, token=alice, jobId=job["jobId"])
            assert response.status_code == 200, (path, response.text[:200])
            if response.headers["content-type"].startswith("application/json"):  # not a CSV or GraphML export
                assert response.json().get("code") not in (401, 403), (path, response.text[:200])


def test_onprem_user_is_refused_when_not_allowed(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET}, allow_onprem_user=False)
    guarded = [p for p in registered_paths(config, tmp_path) if not p.endswith("/user/generateToken")]
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        for path in guarded:
            for token in ({}, {"token": "token"}):  # official clients send the literal token "token"
                answer = post(client, path, userId=ON_PREMISE_USER_ID, **token)
                assert answer["code"] == 401, (path, answer)
    assert table_counts(config.db_path) == (0, 0)


def test_another_users_jobs_are_invisible(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET, BOB: BOB_SECRET})
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        alice = {"userId": ALICE, "token": token_of(client, ALICE, ALICE_SECRET)}
        files = [("sqlfiles", ("secret.sql", b"insert into t2 (a) select a from t1;", "application/sql"))]
        job = client.post(
            f"{PREFIX}/sqlflow/job/submitPersistJob",
            data={**alice, "dbvendor": "dbvoracle", "jobName": "alices-job"},
            files=files,
        ).json()["data"]
        before = wait_for_job(client, PREFIX, alice, job["jobId"])
        assert before["status"] == "success"
        bob = {"userId": BOB, "token": token_of(client, BOB, BOB_SECRET)}
        for prefix in ("/gspLive_backend", "/api/gspLive_backend"):
            job_calls = [
                "displayUserJobSummary",
                "deleteUserJob",
                "exportLineageAsJson",
                "exportFullLineageAsJson",
                "exportFullLineageAsCsv",
                "exportLineageAsGraphml",
            ]
            for call in job_calls:
                answer = client.post(f"{prefix}/sqlflow/job/{call}", data={**bob, "jobId": job["jobId"]}).json()
                assert answer["code"] == 404 and job["jobId"] in answer["error"], (call, answer)
            for call in job_calls[2:]:  # "the latest job": Bob has none
                assert client.post(f"{prefix}/sqlflow/job/{call}", data=bob).json()["code"] == 404, call
            by_name = client.post(f"{prefix}/sqlflow/job/displayUserJobSummary", data={**bob, "jobName": "alices-job"})
            assert by_name.json()["code"] == 404
            listed = client.post(f"{prefix}/sqlflow/job/displayUserJobsSummary", data=bob).json()["data"]
            assert (listed["total"], listed["jobIds"], listed["jobDetails"]) == (0, [], [])
            for incremental in ("true", "false"):
                fields = {**bob, "dbvendor": "dbvoracle", "jobId": job["jobId"], "incremental": incremental}
                more = [("sqlfiles", ("bob.sql", b"select 1 from dual", "application/sql"))]
                answer = client.post(f"{prefix}/sqlflow/job/submitPersistJob", data=fields, files=more).json()
                assert answer["code"] == 404, answer
        after = wait_for_job(client, PREFIX, alice, job["jobId"])
        assert after == before  # same status, files, session and update time: nothing touched it
        export = client.post(f"{PREFIX}/sqlflow/job/exportFullLineageAsCsv", data={**alice, "jobId": job["jobId"]})
        assert export.status_code == 200 and "t1" in export.text  # the exports exist: only Bob was refused
    assert stored_digests(config.db_path, [job["jobId"]]) == {job["jobId"]: [("secret.sql", sha256_of(files[0][1][1]))]}
    assert table_counts(config.db_path) == (1, 1)


def wait_for_job(client: httpx.Client, prefix: str, fields: dict[str, str], job_id: str, timeout: float = 60) -> dict:
    """Poll a job's summary until its status is final (at most ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        summary = client.post(f"{prefix}/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job_id}).json()
        assert summary["code"] == 200, summary
        if summary["data"]["status"] in FINAL:
            return summary["data"]
        assert time.monotonic() < deadline, f"job {job_id} still {summary['data']['status']} after {timeout} s"
        time.sleep(0.05)


# -- upload limits ----------------------------------------------------------------------------
def test_upload_size_and_count_limits_answer_clearly(tmp_path: Path) -> None:
    config = ServerConfig(
        db_path=tmp_path / "jobs.sqlite3",
        users={ALICE: ALICE_SECRET},
        max_upload_bytes=64 * 1024,
        max_files_per_request=3,
    )
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        token = client.post(f"{PREFIX}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
        fields = {"userId": ALICE, "token": token["token"], "dbvendor": "dbvoracle"}
        path = f"{PREFIX}/sqlflow/job/submitPersistJob"

        def parts(count: int, size: int) -> list[tuple[str, tuple[str, bytes, str]]]:
            return [("sqlfiles", (f"{n}.sql", b"-" * size, "application/sql")) for n in range(count)]

        too_many = client.post(path, data=fields, files=parts(4, 10))
        assert too_many.status_code == 413
        assert too_many.json()["code"] == 413 and "at most 3" in too_many.json()["error"]
        assert "max_files_per_request" in too_many.json()["error"]
        too_big = client.post(path, data=fields, files=parts(1, 100 * 1024))
        assert too_big.status_code == 413
        assert too_big.json()["code"] == 413 and "65536 bytes" in too_big.json()["error"]
        assert "max_upload_bytes" in too_big.json()["error"]
        # no Content-Length to trust: the body is counted as it streams in
        body = httpx.Request("POST", "http://x", data=fields, files=parts(2, 50 * 1024))
        chunks = body.read()
        streamed = client.post(
            path,
            content=(chunks[i : i + 8192] for i in range(0, len(chunks), 8192)),
            headers={"content-type": body.headers["content-type"]},
        )
        assert streamed.status_code == 413 and "max_upload_bytes" in streamed.json()["error"], streamed.text
        # just within both limits: accepted, and the server answers normally after the refusals
        fitting = client.post(path, data=fields, files=parts(3, 20 * 1024)).json()
        assert fitting["code"] == 200 and len(fitting["data"]["fileNames"]) == 3
    assert table_counts(config.db_path) == (1, 3)


# -- load -------------------------------------------------------------------------------------
def start_load_server(tmp_path: Path, users: dict[str, str], db_path: Path | None = None) -> ServerProcess:
    """``sqlflow-magic serve`` on a free loopback port, a temp database and a users file.

    Each client queues far more jobs than the worker analyses meanwhile (about 175, all kept), so the
    per-user cap on queued jobs is lifted: this load is about the store, not the cap.
    """
    users_file = write_users_file(tmp_path / "users.json", users)
    return ServerProcess(db_path or tmp_path / "jobs.sqlite3", users_file, log_path=tmp_path / "server.log",
                         options=["--max-queued-jobs-per-user", "0"]).start()


def test_8_clients_x_250_submits_are_all_kept_byte_for_byte(tmp_path: Path) -> None:
    users = load_users()
    server = start_load_server(tmp_path, users)
    try:
        started = time.monotonic()
        runs = run_clients(server.base_url, list(users.items()), LoadPlan(submits=SUBMITS), timeout=LOAD_TIMEOUT)
        elapsed = time.monotonic() - started
        assert [run.failure for run in runs if run.failure] == []
        records = [record for run in runs for record in run.records]
        assert len(records) == CLIENTS * SUBMITS
        assert [record for record in records if not record.accepted] == []
        expected = replay(runs)  # also checks every answer's fileNames
        incremental = sum(record.target is not None for record in records)
        assert CLIENTS * SUBMITS * 0.2 < incremental < CLIENTS * SUBMITS * 0.4
        listed = listed_jobs(server.base_url, users)  # while the server runs
        for user_id, jobs in listed.items():
            assert set(jobs) == expected.jobs_of(user_id), f"{user_id}: lost or foreign jobs"
            for job_id, job in jobs.items():
                assert job["fileNames"] == [sent.name for sent in expected.files[job_id]], job_id
    finally:
        assert server.stop() is not None
    assert table_counts(server.db_path) == (len(expected.files), expected.file_count)
    stored = stored_digests(server.db_path, expected.files)
    assert stored == {job_id: digests(files) for job_id, files in expected.files.items()}
    print(
        f"\n{len(records)} submits ({incremental} incremental) -> {len(expected.files)} jobs, "
        f"{expected.file_count} files in {elapsed:.1f} s ({len(records) / elapsed:.0f} submits/s)"
    )


# -- crash ------------------------------------------------------------------------------------
def test_kill_9_mid_load_loses_no_answered_submit_and_half_writes_none(tmp_path: Path) -> None:
    users = load_users()
    server = start_load_server(tmp_path, users)
    kill_after = int(0.4 * CLIENTS * SUBMITS)
    answered = Counter[str]()
    lock, reached = threading.Lock(), threading.Event()

    def count(_record: object) -> None:
        with lock:
            answered["all"] += 1
            if answered["all"] >= kill_after:
                reached.set()

    def kill_when_reached() -> None:
        if reached.wait(LOAD_TIMEOUT):
            server.kill()

    killer = threading.Thread(target=kill_when_reached, name="killer")
    killer.start()
    try:
        runs = run_clients(
            server.base_url, list(users.items()), LoadPlan(submits=SUBMITS), on_answer=count, timeout=LOAD_TIMEOUT
        )
    finally:
        reached.set()
        killer.join(30)
        server.kill()
    assert server.process is not None and server.process.returncode == -9
    assert [run.failure for run in runs if run.failure] == []
    expected = replay(runs)  # every answered submit was accepted; at most one unanswered per client, its last
    accepted = sum(record.accepted for run in runs for record in run.records)
    assert kill_after <= accepted < CLIENTS * SUBMITS
    # the orphaned analysis processes notice that their server is gone and end by themselves
    assert server.reap_children(grace=10) == [], "analysis processes outlived their killed server"

    at_kill = status_counts(server.db_path)  # a reader beside the crashed server's WAL
    assert at_kill["create"] > 0, at_kill
    if not at_kill["process"]:  # make sure the restart also meets a job that was being analysed
        store = JobStore(server.db_path)
        try:
            waiting = store.jobs_with_status("create")[0]
            assert store.set_status(waiting.job_id, "process", only_if_status="create")
        finally:
            store.close()

    restarted = start_load_server(tmp_path, users, db_path=server.db_path)
    try:
        listed = listed_jobs(restarted.base_url, users)
        present = {job_id for jobs in listed.values() for job_id in jobs}
        stored = stored_digests(server.db_path, present)
        landed = 0
        for user_id, jobs in listed.items():
            in_flight = expected.in_flight.get(user_id)
            extra = set(jobs) - expected.jobs_of(user_id)
            assert expected.jobs_of(user_id) <= set(jobs), f"{user_id}: an answered job was lost"
            assert len(extra) <= 1 and (not extra or (in_flight is not None and in_flight.target is None)), extra
            for job_id in extra:  # the unanswered first submit made it: whole, or not at all
                assert stored[job_id] == digests(in_flight.files), "half-written job"
                landed += 1
            for job_id in expected.jobs_of(user_id):
                kept = digests(expected.files[job_id])
                if in_flight is not None and in_flight.target == job_id and stored[job_id] != kept:
                    kept += digests(in_flight.files)  # the unanswered incremental submit made it, all of it
                    landed += 1
                assert stored[job_id] == kept, f"job {job_id}: files lost, changed or half-written"
        finished = wait_until_all_final(restarted.base_url, users, timeout=180)
    finally:
        restarted.stop()
    statuses = Counter(job["status"] for jobs in finished.values() for job in jobs.values())
    assert set(statuses) <= {"success", "partial_success"}, statuses
    print(
        f"\nkilled after {accepted} answered submits ({len(expected.in_flight)} unanswered, {landed} of them "
        f"stored whole); at the kill: {dict(at_kill)}; after the restart: {dict(statuses)}"
    )


# -- hostile files ----------------------------------------------------------------------------
def tree(root: Path) -> set[str]:
    """Every file and folder under ``root``, relative to it."""
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def hostile_uploads(absolute_target: str) -> dict[str, tuple[str, bytes, str, tuple[str, ...]]]:
    """case -> (file name, content, expected status, words the job's errors must contain).

    The status ``refused``: the submit itself is refused (413), and its error holds the words.
    """
    escaping, names = hostile_files.escaping_zip(absolute_target)
    return {
        "zip bomb": ("bomb.zip", hostile_files.zip_bomb(), "refused", ("zip bomb", "1073741824")),
        "zip bomb with a lying header": ("lying.zip", hostile_files.lying_zip_bomb(), "fail", ("corrupt",)),
        "escaping zip paths": ("paths.zip", escaping, "partial_success", tuple(f"{n}: unsafe path" for n in names)),
        "20 MB on one line": ("line.sql", hostile_files.huge_line(), "fail", ("tokens not analysed",)),
        "5000 nested parentheses": ("parens.sql", hostile_files.nested_parentheses(), "fail", ("recursion",)),
        "5000 nested subqueries": ("subqueries.sql", hostile_files.nested_subqueries(), "fail", ("recursion",)),
    }


def test_hostile_files_give_clear_errors_without_crash_hang_or_stray_files(tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"  # the server's cwd, HOME, TMPDIR and database all live here
    for folder in ("db", "home", "tmp", "cwd/work"):
        (sandbox / folder).mkdir(parents=True)
    absolute_target = str(sandbox / "absolute" / "abs.sql")
    uploads = hostile_uploads(absolute_target)
    before = tree(sandbox)
    temp = str(sandbox / "tmp")
    server = ServerProcess(
        sandbox / "db" / "jobs.sqlite3",
        write_users_file(tmp_path / "users.json", {ALICE: ALICE_SECRET}),
        cwd=sandbox / "cwd" / "work",
        env={"HOME": str(sandbox / "home"), "TMPDIR": temp, "TMP": temp, "TEMP": temp},
        log_path=tmp_path / "server.log",
    ).start()
    limit = ServerConfig().job_time_limit_seconds  # what `sqlflow-magic serve` uses
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            token = client.post(f"{PREFIX}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET})
            fields = {"userId": ALICE, "token": token.json()["token"], "dbvendor": "dbvoracle"}
            jobs = {}
            for case, (name, content, status, words) in uploads.items():
                parts = [("sqlfiles", (name, content, "application/octet-stream"))]
                answer = client.post(f"{PREFIX}/sqlflow/job/submitPersistJob", data=fields, files=parts).json()
                if status == "refused":  # over a limit: nothing stored, nothing analysed
                    assert answer["code"] == 413 and all(word in answer["error"] for word in words), (case, answer)
                    continue
                assert answer["code"] == 200, (case, answer)
                jobs[case] = answer["data"]["jobId"]
            summaries, slowest = poll_until_final(client, fields, jobs, timeout=limit + 60)
            assert slowest < 5, f"a status call took {slowest:.1f} s while hostile files were analysed"
            for case, (_name, _content, status, words) in uploads.items():
                if status == "refused":
                    continue
                summary = summaries[case]
                assert summary["status"] == status, (case, summary)
                assert summary["executeTimeMillis"] < limit * 1000, case
                messages = " | ".join(error["errorMessage"] for error in summary.get("errors", []))
                for word in words:
                    assert word in messages.lower() or word in messages, (case, word, messages[:500])
            assert server.alive()
            normal = [("sqlfiles", ("ok.sql", b"insert into t2 (a) select a from t1;", "application/sql"))]
            after = client.post(f"{PREFIX}/sqlflow/job/submitPersistJob", data=fields, files=normal).json()["data"]
            assert poll_until_final(client, fields, {"ok": after["jobId"]}, timeout=60)[0]["ok"]["status"] == "success"
    finally:
        server.stop()
    created = tree(sandbox) - before
    assert created <= {"db/jobs.sqlite3", "db/jobs.sqlite3-wal", "db/jobs.sqlite3-shm", "db/jobs.sqlite3.signing-key"
                       }, sorted(created)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    print("\n" + "; ".join(f"{case}: {s['status']} in {s['executeTimeMillis']} ms" for case, s in summaries.items()))


def poll_until_final(
    client: httpx.Client, fields: dict[str, str], jobs: dict[str, str], timeout: float
) -> tuple[dict[str, dict], float]:
    """Poll each job's summary until all are final (at most ``timeout`` s); return them and the slowest call."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict] = {}
    slowest = 0.0
    while len(done) < len(jobs):
        for case, job_id in jobs.items():
            if case in done:
                continue
            started = time.monotonic()
            answer = client.post(f"{PREFIX}/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job_id})
            slowest = max(slowest, time.monotonic() - started)
            assert answer.json()["code"] == 200, answer.text[:300]
            if answer.json()["data"]["status"] in FINAL:
                done[case] = answer.json()["data"]
        assert len(done) == len(jobs) or time.monotonic() < deadline, (
            f"not final after {timeout:g} s: {set(jobs) - set(done)}"
        )
        time.sleep(0.2)
    return done, slowest
