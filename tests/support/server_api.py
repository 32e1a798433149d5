"""A small SQLFlow client for tests that talk to a local server over real HTTP, and waits on its jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.store import JobStore
from tests.support.users import ALICE, ALICE_SECRET

#: Two one-statement scripts whose lineage is known: t1 -> t2, t3 -> t4.
FIRST = b"insert into t2 (a, b) select x, y from t1;\n"
SECOND = b"insert into t4 (c) select z from t3;\n"

SqlFiles = list[tuple[str, bytes]]


class Api:
    """A small SQLFlow client for tests: every call returns the decoded JSON body."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def post(self, path: str, *, files: SqlFiles | None = None, **kwargs: Any) -> dict[str, Any]:
        parts = [("sqlfiles", (name, content, "application/sql")) for name, content in files or []]
        response = self.client.post(path, files=parts or None, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()

    def token(self, user_id: str = ALICE, secret_key: str = ALICE_SECRET) -> str:
        answer = self.post("/gspLive_backend/user/generateToken", data={"userId": user_id, "secretKey": secret_key})
        assert answer["code"] == "200", answer
        return answer["token"]

    def submit(
        self,
        files: SqlFiles,
        *,
        user_id: str = ALICE,
        token: str | None = None,
        path: str = "/gspLive_backend/sqlflow/job/submitPersistJob",
        **fields: str,
    ) -> dict[str, Any]:
        data = {"userId": user_id, "token": token or self.token(), "dbvendor": "dbvoracle", **fields}
        return self.post(path, files=files, data=data)

    def call(self, endpoint: str, *, user_id: str = ALICE, token: str | None = None, **fields: str) -> dict[str, Any]:
        data = {"userId": user_id, "token": token or self.token(), **fields}
        return self.post(f"/gspLive_backend/sqlflow/job/{endpoint}", data=data)


FINAL = ("success", "partial_success", "fail")


def wait_for_final(
    api: Api, job_id: str, timeout: float = 20.0, *, user_id: str = ALICE, token: str | None = None
) -> dict[str, Any]:
    """Ask for a job's summary until its status is final; return the summary (bounded wait).

    Each request asks the server to hold it until the job is final (``waitMillis``, at most 2 s at a time,
    within the client's 10 s read timeout), as the magic's ``--wait`` does on a local server: no pause
    between polls, and the answer comes as the job ends.
    """
    token = token or api.token()
    deadline = time.monotonic() + timeout
    while True:
        asked = time.monotonic()
        hold = max(0, min(2000, int((deadline - asked) * 1000)))
        summary = api.call("displayUserJobSummary", user_id=user_id, token=token, jobId=job_id,
                           waitMillis=str(hold))["data"]
        if summary["status"] in FINAL:
            return summary
        assert time.monotonic() < deadline, f"job {job_id} still {summary['status']} after {timeout} s"
        if time.monotonic() - asked < hold / 2000:  # not held (a server that ignores waitMillis): pause
            time.sleep(0.05)


@contextmanager
def running_server(config: ServerConfig) -> Iterator[tuple[EmbeddedServer, Api]]:
    """A server on ``config`` and an :class:`Api` bound to it, both closed afterwards."""
    with EmbeddedServer(config) as server:
        client = Api(server.base_url)
        try:
            yield server, client
        finally:
            client.client.close()


def big_script(statements: int = 4000) -> bytes:
    """A script that takes seconds to analyse (a few hundred statements a second)."""
    lines = (f"insert into t{i % 50} (a, b) select x, y from s{i % 70} where z > {i};" for i in range(statements))
    return "\n".join(lines).encode()


def stored_files(config: ServerConfig, job_id: str) -> list[tuple[str, bytes]]:
    """The files of ``job_id`` as the job store at ``config.db_path`` holds them: (filename, bytes)."""
    store = JobStore(config.db_path)
    try:
        return [(f.filename, f.content) for f in store.job_files(job_id)]
    finally:
        store.close()
