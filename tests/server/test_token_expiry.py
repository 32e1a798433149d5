"""Every route that takes a token refuses an expired one: one whose signature, user and key version are right,
sent as a field or a header, and one the server verified before and so remembers (issue 17, the token bullet)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt
import pytest
from starlette.routing import Mount

from sqlflow_magic.server import EmbeddedServer, ServerConfig, create_app
from sqlflow_magic.server.access import INVALID_TOKEN
from sqlflow_magic.server.store import JobStore
from sqlflow_magic.server.tokens import issue_token, key_version
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

SECRET = "a-fixed-signing-key-for-this-test-only-0123456789"


def token_routes(config: ServerConfig, tmp_path: Path) -> list[str]:
    """Every path the app serves but ``/user/generateToken``, read from its routes."""
    store = JobStore(tmp_path / "routes.sqlite3")
    try:
        app = create_app(config, store=store)
    finally:
        store.close()
    paths = [mount.path + route.path for mount in app.routes if isinstance(mount, Mount)
             for route in mount.routes if hasattr(route, "path")]
    return [path for path in paths if not path.endswith("/user/generateToken")]


def token_expiring_in(seconds: float) -> str:
    """Alice's token, right in every way, that expires ``seconds`` from now (in the past if negative)."""
    return issue_token(SECRET, ALICE, 60, now=time.time() - 60 + seconds, version=key_version(SECRET, ALICE_SECRET))


def refusals(client: httpx.Client, paths: list[str], token: str) -> dict[str, object]:
    """The answer of each path to ``token``, as a field and as a header, where it is not the 403 of a bad token."""
    wrong: dict[str, object] = {}
    for path in paths:
        for fields, headers in (({"token": token}, {}), ({}, {"authorization": f"Token {token}"})):
            answer = client.post(path, data={"userId": ALICE, **fields}, headers=headers).json()
            if answer != {"code": 403, "error": INVALID_TOKEN}:
                wrong[path] = answer
    return wrong


def test_every_route_refuses_an_expired_token(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET}, jwt_secret=SECRET)
    paths = token_routes(config, tmp_path)
    assert len(paths) >= 20
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        fresh = token_expiring_in(3.0)
        summary = "/gspLive_backend/sqlflow/job/displayUserJobsSummary"
        assert client.post(summary, data={"userId": ALICE, "token": fresh}).json()["code"] == 200  # now remembered
        assert refusals(client, paths, token_expiring_in(-1.0)) == {}
        expires = jwt.decode(fresh, options={"verify_signature": False})["exp"]
        time.sleep(max(0.0, expires - time.time()) + 0.05)  # the remembered token's expiry passes
        assert refusals(client, paths, fresh) == {}
