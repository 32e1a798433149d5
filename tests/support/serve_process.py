"""``sqlflow-magic serve`` started as users start it, in a subprocess on a free loopback port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.users import ALICE, ALICE_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    """``sqlflow-magic serve`` on a free port with Alice as its user; returns the process and its base URL."""
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps({ALICE: ALICE_SECRET}))
    port = free_port()
    command = [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--port", str(port)]
    command += ["--db", str(tmp_path / "cli.sqlite3"), "--users-file", str(users_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, f"http://127.0.0.1:{port}/gspLive_backend"
