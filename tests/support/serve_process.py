"""``sqlflow-magic serve`` started as users start it, in a subprocess on a free port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.users import ALICE, ALICE_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(
    tmp_path: Path, *options: str, users: dict[str, str] | None = None, db: Path | None = None, umask: int = -1,
    log: Path | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """``sqlflow-magic serve [options]`` on a free port with ``users`` (Alice by default) in
    ``tmp_path/users.json`` and the job database ``db`` (``tmp_path/cli.sqlite3``); returns the process and
    its loopback base URL. ``umask`` (if not -1) is the process's umask.

    Its output is piped, or written to ``log``: a server that answers many requests needs the file, as its
    log would fill the pipe and block it."""
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps({ALICE: ALICE_SECRET} if users is None else users))
    port = free_port()
    command = [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--port", str(port)]
    command += ["--db", str(db or tmp_path / "cli.sqlite3"), "--users-file", str(users_file), *options]
    if log is None:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, umask=umask)
    else:
        with log.open("w") as output:  # the child keeps its own descriptor
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True, umask=umask)
    return process, f"http://127.0.0.1:{port}/gspLive_backend"


def wait_until_serving(process: subprocess.Popen[str], url: str, timeout: float = 10) -> None:
    """Wait until the server at ``url`` answers; fail with its output if it ends first or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.post(f"{url}/user/generateToken")
            return
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "sqlflow-magic serve did not come up"
            time.sleep(0.05)


def peak_rss_bytes(pid: int) -> int:
    """The largest resident size process ``pid`` has had so far (``VmHWM`` of Linux ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")
