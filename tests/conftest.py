"""Fixtures shared by the whole test suite: a server configuration and a running local server."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    """A server configuration on a fresh database, with users Alice and Bob."""
    return ServerConfig(db_path=tmp_path / "jobs.sqlite3", users={ALICE: ALICE_SECRET, BOB: BOB_SECRET})


@pytest.fixture
def local_server(server_config: ServerConfig) -> Iterator[EmbeddedServer]:
    """The local SQLFlow-compatible server, started on ``server_config`` and stopped afterwards."""
    server = EmbeddedServer(server_config).start()
    try:
        yield server
    finally:
        server.stop()


# Notebook kernels (nbval, nbclient) inherit this: tests never write into the user's own job database.
os.environ.setdefault("SQLFLOW_LOCAL_SERVER_DB", str(Path(tempfile.mkdtemp(prefix="sqlflow-tests-")) / "jobs.sqlite3"))
