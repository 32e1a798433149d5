"""Fixtures of the server tests: an :class:`Api` on a fresh server, on one shared per module, on a paused one."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.server_api import Api, running_server
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET


@pytest.fixture
def api(local_server: EmbeddedServer) -> Iterator[Api]:
    """An :class:`Api` bound to the running ``local_server`` (base URL without the prefix)."""
    client = Api(local_server.base_url)
    try:
        yield client
    finally:
        client.client.close()


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An :class:`Api` on one server per test module, for tests that do not care what jobs exist."""
    db_path: Path = tmp_path_factory.mktemp("shared") / "jobs.sqlite3"
    config = ServerConfig(db_path=db_path, users={ALICE: ALICE_SECRET, BOB: BOB_SECRET})
    with EmbeddedServer(config) as server:
        client = Api(server.base_url)
        yield client
        client.client.close()


@pytest.fixture
def paused_api(server_config: ServerConfig) -> Iterator[Api]:
    """An :class:`Api` on a server whose worker does not run: submitted jobs stay ``create``."""
    with running_server(dataclasses.replace(server_config, run_worker=False)) as (_server, client):
        yield client
