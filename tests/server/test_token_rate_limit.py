"""``/user/generateToken`` is limited per userId and per client address, known user or not, and its failures are
logged without the key (issue 17, the token bullet). Clients come from several loopback addresses (127.0.0.x)."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET

pytestmark = pytest.mark.server

PER_USER = 3
PER_ADDRESS = 5
#: Long enough that nothing refills while a test runs.
WINDOW = 3600.0
MALLORY = "mallory@example.com"  # a userId the server does not know


def can_bind(address: str) -> bool:
    try:
        with socket.socket() as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


needs_loopback_addresses = pytest.mark.skipif(not can_bind("127.0.0.2"),
                                              reason="this system has no loopback address but 127.0.0.1")


@pytest.fixture
def server(server_config: ServerConfig) -> Iterator[EmbeddedServer]:
    server_config.token_failures_per_user = PER_USER
    server_config.token_failures_per_address = PER_ADDRESS
    server_config.token_failure_window_seconds = WINDOW
    with EmbeddedServer(server_config) as running:
        yield running


def ask(server: EmbeddedServer, user_id: str, secret_key: str, source: str = "127.0.0.1") -> httpx.Response:
    """``generateToken`` from the loopback address ``source``."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=server.url, transport=transport, timeout=10) as client:
        return client.post("/user/generateToken", data={"userId": user_id, "secretKey": secret_key})


def answer_of(response: httpx.Response) -> tuple[int, object, str]:
    """HTTP status, body code and error, the number of seconds to wait left out."""
    body = response.json()
    return response.status_code, body["code"], re.sub(r"\d+ s\b", "N s", body.get("error", ""))


@needs_loopback_addresses
def test_a_known_and_an_unknown_user_are_limited_alike(server: EmbeddedServer) -> None:
    alices = [ask(server, ALICE, "wrong-key", "127.0.0.2") for _ in range(PER_USER)]
    alices.append(ask(server, ALICE, ALICE_SECRET, "127.0.0.2"))  # the right key too, once limited
    malloys = [ask(server, MALLORY, "wrong-key", "127.0.0.3") for _ in range(PER_USER)]
    malloys.append(ask(server, MALLORY, ALICE_SECRET, "127.0.0.3"))
    assert [answer_of(r) for r in alices] == [answer_of(r) for r in malloys]
    assert [r.json()["code"] for r in alices] == [401] * PER_USER + [429]
    limited = alices[-1]
    assert limited.status_code == 429 and set(limited.json()) == {"code", "error"}
    assert "too many failed token requests" in limited.json()["error"] and "token" not in limited.json()
    assert 0 < int(limited.headers["retry-after"]) <= WINDOW / PER_USER


@needs_loopback_addresses
def test_failures_from_one_address_limit_it_whatever_the_user(server: EmbeddedServer) -> None:
    answers = [ask(server, f"user-{number}@example.com", "wrong-key", "127.0.0.4") for number in range(PER_ADDRESS)]
    assert [r.json()["code"] for r in answers] == [401] * PER_ADDRESS
    assert ask(server, BOB, BOB_SECRET, "127.0.0.4").status_code == 429
    assert ask(server, BOB, BOB_SECRET, "127.0.0.5").json()["code"] == "200"  # another address is not limited


@needs_loopback_addresses
def test_someone_elses_failures_do_not_lock_a_user_out_where_the_user_works(server: EmbeddedServer) -> None:
    assert ask(server, ALICE, ALICE_SECRET).json()["code"] == "200"  # Alice works from 127.0.0.1
    for _ in range(PER_USER):
        ask(server, ALICE, "a-guess", "127.0.0.6")
    assert ask(server, ALICE, ALICE_SECRET, "127.0.0.6").status_code == 429  # the guesser's address
    assert ask(server, ALICE, ALICE_SECRET, "127.0.0.7").status_code == 429  # an address Alice never used
    assert ask(server, ALICE, ALICE_SECRET).json()["code"] == "200"  # where Alice got a token before


def test_failures_are_logged_without_the_key(server: EmbeddedServer, caplog: pytest.LogCaptureFixture) -> None:
    sent_keys = [BOB_SECRET, ALICE_SECRET, "a-guessed-key-4412"]
    with caplog.at_level(logging.DEBUG, logger="sqlflow_magic"):
        ask(server, ALICE, BOB_SECRET)  # another user's key
        ask(server, MALLORY, ALICE_SECRET)  # a real key for a user the server does not know
        ask(server, "user\ninjected", "a-guessed-key-4412")
        assert ask(server, BOB, BOB_SECRET).json()["code"] == "200"
        answers = [ask(server, BOB, "a-guessed-key-4412") for _ in range(PER_ADDRESS - 2)]
    assert [r.status_code for r in answers] == [200, 200, 429]  # the address's fifth failure was its last
    lines = [record.getMessage() for record in caplog.records]
    assert f"generateToken refused for userId {ALICE!r} from 127.0.0.1: wrong secretKey" in lines
    assert f"generateToken refused for userId {MALLORY!r} from 127.0.0.1: unknown userId" in lines
    assert "generateToken refused for userId 'user\\ninjected' from 127.0.0.1: unknown userId" in lines
    assert not any("\n" in line for line in lines)  # a userId cannot forge a log line
    assert any(line.endswith("further attempts for this userId or from this address answer 429 for a while")
               for line in lines)
    logged = "\n".join(lines + [repr(record.args) for record in caplog.records])
    for key in sent_keys:
        assert key not in logged
