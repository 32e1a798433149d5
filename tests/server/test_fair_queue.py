"""The fair queue: jobs are analysed round robin across users, restarts included, and a user's queue has a cap.

The order of analysis is read from each job's ``sessionId``, whose last 13 digits are the epoch
milliseconds at which its analysis ended; one job is analysed at a time (two analysis processes,
one kept free for ``/sqlflow/generation/sqlflow``), so that is also the order the jobs were claimed in.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from sqlflow_magic.protocol import ON_PREMISE_TOKEN, ON_PREMISE_USER_ID
from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.store import JobStore, SqlFile
from tests.support.serve_process import start_serve, wait_until_serving
from tests.support.server_api import FIRST, SECOND, Api, big_script, running_server, wait_for_final
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server

CAROL, CAROL_SECRET = "carol@example.com", "sk-carol-93b0c4d2e1"
SECRETS = {ALICE: ALICE_SECRET, BOB: BOB_SECRET, CAROL: CAROL_SECRET}
#: A job that takes some milliseconds, so no two of them end within the same one.
SMALL = big_script(20)


@pytest.fixture
def config(server_config: ServerConfig) -> ServerConfig:
    """Three users; one job analysed at a time (the second process stays free for synchronous requests)."""
    return dataclasses.replace(server_config, users=dict(SECRETS), analysis_processes=2)


class Users:
    """Submits and summaries as Alice, Bob or Carol, each with a token of their own."""

    def __init__(self, api: Api) -> None:
        self.owner: dict[str, str] = {}
        self.on(api)

    def on(self, api: Api) -> Users:
        """Talk to the server of ``api`` from now on (the same database, after a restart)."""
        self.api = api
        self.tokens = {user: api.token(user, secret) for user, secret in SECRETS.items()}
        return self

    def submit(self, user: str, sql: bytes = FIRST, **fields: str) -> dict:
        answer = self.api.submit([("q.sql", sql)], user_id=user, token=self.tokens[user], **fields)
        if answer.get("code") == 200:
            self.owner[answer["data"]["jobId"]] = user
        return answer

    def job(self, user: str, sql: bytes = FIRST) -> str:
        answer = self.submit(user, sql)
        assert answer["code"] == 200, answer
        return str(answer["data"]["jobId"])

    def status(self, job_id: str) -> str:
        user = self.owner[job_id]
        return str(self.api.call("displayUserJobSummary", user_id=user, token=self.tokens[user], jobId=job_id)
                   ["data"]["status"])

    def total(self, user: str) -> int:
        return int(self.api.call("displayUserJobsSummary", user_id=user, token=self.tokens[user])["data"]["total"])

    def analysis_order(self, job_ids: Iterable[str]) -> list[str]:
        """Wait until every job is final; return them in the order their analyses ended."""
        ended = {}
        for job_id in job_ids:
            user = self.owner[job_id]
            summary = wait_for_final(self.api, job_id, 60, user_id=user, token=self.tokens[user])
            ended[job_id] = int(summary["sessionId"].rsplit("_", 1)[1])
        assert len(set(ended.values())) == len(ended), "two analyses ended within the same millisecond"
        return sorted(ended, key=ended.__getitem__)


def test_another_users_job_goes_before_the_heavy_jobs_still_waiting(config: ServerConfig) -> None:
    heavy = big_script(20000)  # cut at the time limit: each takes half a second
    with running_server(dataclasses.replace(config, job_time_limit_seconds=0.5)) as (_server, api):
        users = Users(api)
        alice = [users.job(ALICE, heavy) for _ in range(3)]
        bob = users.job(BOB)
        waiting = [job_id for job_id in alice if users.status(job_id) == "create"]  # waiting when Bob's came
        assert waiting, "Alice's jobs ended before Bob submitted"
        order = users.analysis_order([*alice, bob])
    assert all(order.index(bob) < order.index(job_id) for job_id in waiting), order


def test_three_users_are_served_in_turn(config: ServerConfig) -> None:
    with running_server(dataclasses.replace(config, run_worker=False)) as (_server, api):
        users = Users(api)
        submitted = [users.job(user, SMALL) for user in (ALICE, ALICE, ALICE, CAROL, BOB, BOB, CAROL)]
    a1, a2, a3, c1, b1, b2, c2 = submitted
    with running_server(config) as (_server, api):
        order = users.on(api).analysis_order(submitted)
    # nobody served yet: the oldest job first; then whoever was served least recently
    assert order == [a1, c1, b1, a2, c2, b2, a3]


def test_the_turns_survive_a_restart(config: ServerConfig) -> None:
    with running_server(config) as (_server, api):
        users = Users(api)
        for user in (ALICE, BOB):  # Alice is served, then Bob
            wait_for_final(api, users.job(user, SMALL), user_id=user, token=users.tokens[user])
    with running_server(dataclasses.replace(config, run_worker=False)) as (_server, api):
        users = Users(api)
        submitted = [users.job(user, SMALL) for user in (BOB, BOB, CAROL, ALICE)]
    b2, b3, c1, a2 = submitted
    with running_server(config) as (_server, api):
        order = users.on(api).analysis_order(submitted)
    # Carol was never served, Alice before Bob: the restart forgot none of it
    assert order == [c1, a2, b2, b3]


def test_the_cap_refuses_one_more_job_of_a_user_and_stores_nothing(config: ServerConfig) -> None:
    capped = dataclasses.replace(config, run_worker=False, max_queued_jobs_per_user=2)
    with running_server(capped) as (_server, api):
        users = Users(api)
        first, _second = users.job(ALICE), users.job(ALICE)
        refused = users.submit(ALICE, jobName="one too many")
        assert refused["code"] == 429, refused
        assert "max_queued_jobs_per_user" in refused["error"] and "wait" in refused["error"]
        assert "\n" not in refused["error"]
        assert users.total(ALICE) == 2  # nothing stored for the refused submit
        assert users.submit(BOB)["code"] == 200  # another user still gets in
        more = users.submit(ALICE, SECOND, jobId=first)  # more files for a job still queued: no new job
        assert more["code"] == 200 and more["data"]["fileNames"] == ["q.sql", "q.sql"]
        assert users.total(ALICE) == 2


def test_a_finished_job_does_not_count_but_queuing_it_again_does(config: ServerConfig) -> None:
    capped = dataclasses.replace(config, run_worker=False, max_queued_jobs_per_user=1)
    with running_server(capped) as (_server, api):
        users = Users(api)
        done = users.job(ALICE)
        store = JobStore(config.db_path)
        try:
            assert store.set_status(done, "success")
        finally:
            store.close()
        waiting = users.job(ALICE)  # the finished job makes room
        again = users.submit(ALICE, SECOND, jobId=done)  # would put the finished job back in the queue
        assert again["code"] == 429 and "max_queued_jobs_per_user" in again["error"], again
        assert users.status(done) == "success"
        assert users.submit(ALICE, SECOND, jobId=waiting)["code"] == 200


def test_serve_takes_the_cap_and_counts_the_job_being_analysed(tmp_path: Path) -> None:
    process, url = start_serve(tmp_path, "--max-queued-jobs-per-user", "1")
    try:
        wait_until_serving(process, url)
        fields = {"userId": ON_PREMISE_USER_ID, "token": ON_PREMISE_TOKEN, "dbvendor": "dbvoracle"}
        path = f"{url}/sqlflow/job/submitPersistJob"
        first = httpx.post(path, data=fields, files=[("sqlfiles", ("big.sql", big_script(20000)))]).json()
        second = httpx.post(path, data=fields, files=[("sqlfiles", ("a.sql", FIRST))]).json()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert first["code"] == 200, first
    assert second["code"] == 429 and "max_queued_jobs_per_user = 1" in second["error"], second


def test_serve_refuses_a_cap_that_is_not_a_number(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--db", str(tmp_path / "jobs.sqlite3"),
               "--max-queued-jobs-per-user", "-1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--max-queued-jobs-per-user: '-1' is not a whole number of jobs (0: no cap)" in result.stderr


def test_concurrent_claims_take_each_job_once(config: ServerConfig) -> None:
    store = JobStore(config.db_path)
    try:
        for number in range(30):
            user = (ALICE, BOB, CAROL)[number % 3]
            store.create_job(f"{number:032x}", user, "j", "dbvoracle", True, {}, [SqlFile("a.sql", b"select 1")])
        claimed: list[str] = []

        def claim_all() -> None:
            while (job := store.claim_next()) is not None:
                claimed.append(job.job_id)

        threads = [threading.Thread(target=claim_all) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(claimed) == [f"{number:032x}" for number in range(30)]
        assert store.jobs_with_status("create") == []
    finally:
        store.close()
