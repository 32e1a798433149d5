"""A token cannot renew itself, and changing a user's secret key revokes its tokens at once (issue 17, break 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sqlflow_magic.protocol import ON_PREMISE_TOKEN, ON_PREMISE_USER_ID
from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.serve_process import start_serve, wait_until_serving
from tests.support.server_api import Api
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server

SUMMARY = "/sqlflow/job/displayUserJobsSummary"
NEW_SECRET = "sk-alice-new-0b1c2d"  # as long as ALICE_SECRET: the file keeps its size


def code_of(client: httpx.Client, path: str, **fields: str) -> object:
    return client.post(path, data=fields).json()["code"]


def token_of(client: httpx.Client, user_id: str = ALICE, secret_key: str = ALICE_SECRET) -> str:
    answer = client.post("/user/generateToken", data={"userId": user_id, "secretKey": secret_key}).json()
    assert answer["code"] == "200", answer
    return str(answer["token"])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path, subprocess.Popen[str]]]:
    """``sqlflow-magic serve --users-file`` with Alice and Bob: a client, the users file and the process."""
    process, url = start_serve(tmp_path, users={ALICE: ALICE_SECRET, BOB: BOB_SECRET})
    try:
        wait_until_serving(process, url)
        with httpx.Client(base_url=url, timeout=10) as client:
            yield client, tmp_path / "users.json", process
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
        for secret in (ALICE_SECRET, BOB_SECRET, NEW_SECRET):
            assert secret not in stdout + stderr


def test_a_token_does_not_renew_itself(api: Api) -> None:
    token = api.token()
    renewed = api.post("/gspLive_backend/user/generateToken", data={"userId": ALICE, "token": token})
    assert renewed["code"] == 401 and "token" not in renewed
    by_header = api.post("/gspLive_backend/user/generateToken", data={"userId": ALICE},
                         headers={"Authorization": f"Token {token}"})
    assert by_header["code"] == 401 and "token" not in by_header


def test_changing_a_key_in_the_users_file_revokes_its_tokens_while_serving(
    served: tuple[httpx.Client, Path, subprocess.Popen[str]],
) -> None:
    client, users_file, _process = served
    alice, bob = token_of(client), token_of(client, BOB, BOB_SECRET)
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 200  # verified once: now remembered
    users_file.write_text(json.dumps({ALICE: NEW_SECRET, BOB: BOB_SECRET}))
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 403
    assert code_of(client, "/user/generateToken", userId=ALICE, secretKey=ALICE_SECRET) == 401
    assert code_of(client, SUMMARY, userId=ALICE, token=token_of(client, ALICE, NEW_SECRET)) == 200
    assert code_of(client, SUMMARY, userId=BOB, token=bob) == 200  # Bob's key did not change
    users_file.write_text(json.dumps({ALICE: NEW_SECRET}))
    assert code_of(client, SUMMARY, userId=BOB, token=bob) == 403  # a removed user's tokens go too


def test_sighup_reads_the_users_file_again(served: tuple[httpx.Client, Path, subprocess.Popen[str]]) -> None:
    client, users_file, process = served
    alice = token_of(client)
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 200
    before = os.stat(users_file)
    with users_file.open("r+") as rewritten:  # same inode, size and modification time: nothing shows the change
        rewritten.write(json.dumps({ALICE: NEW_SECRET, BOB: BOB_SECRET}))
    os.utime(users_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 200
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5  # the signal's handler runs at the server's next Python instruction
    while code_of(client, SUMMARY, userId=ALICE, token=alice) != 403:
        assert time.monotonic() < deadline, "SIGHUP did not revoke the old key's token"
        time.sleep(0.05)
    assert code_of(client, SUMMARY, userId=ALICE, token=token_of(client, ALICE, NEW_SECRET)) == 200


def test_a_broken_users_file_lets_no_keyed_user_in_until_fixed(
    served: tuple[httpx.Client, Path, subprocess.Popen[str]],
) -> None:
    client, users_file, _process = served
    alice = token_of(client)
    users_file.write_text('{"alice@example.com": ')
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 403
    assert code_of(client, SUMMARY, userId=ON_PREMISE_USER_ID, token=ON_PREMISE_TOKEN) == 200
    users_file.write_text(json.dumps({ALICE: ALICE_SECRET}))
    assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 200


def test_changing_a_key_and_restarting_revokes_its_tokens(server_config: ServerConfig) -> None:
    with EmbeddedServer(server_config) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        alice, bob = token_of(client), token_of(client, BOB, BOB_SECRET)
    server_config.users = {ALICE: NEW_SECRET, BOB: BOB_SECRET}
    with EmbeddedServer(server_config) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        assert code_of(client, SUMMARY, userId=ALICE, token=alice) == 403
        assert code_of(client, SUMMARY, userId=BOB, token=bob) == 200


def test_a_token_never_carries_the_key(api: Api) -> None:
    import base64

    payload = api.token().split(".")[1]
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert ALICE_SECRET not in claims
