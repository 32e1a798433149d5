"""The fuzz tier's server: one ``sqlflow-magic serve`` on loopback for each module, with Alice in its users file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.serve_process import start_serve, wait_until_serving
from tests.support.users import ALICE, ALICE_SECRET

#: What the server's output shows when it or one of its analysis processes met an unexpected exception.
CRASH_SIGNS = ("Traceback (most recent call last)", "Exception in ASGI application", "ERROR:")


@dataclass
class Served:
    """A running ``sqlflow-magic serve``: its base URL, a valid token of Alice, and its output."""

    process: subprocess.Popen[str]
    url: str
    token: str
    log: Path
    checked: int = 0  # how much of the output trouble() has read

    def trouble(self) -> str | None:
        """Why the server is not well (it ended, or its output since the last call shows an unexpected
        exception), or None: each exception is reported once, by the check after the request that caused it."""
        if self.process.poll() is not None:
            return f"the server ended with status {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
        new = self.log.read_bytes()[self.checked :]
        self.checked += len(new)
        output = new.decode(errors="replace")
        for sign in CRASH_SIGNS:
            if sign in output:
                start = output.index(sign)
                return f"the server's output shows an exception:\n{output[max(0, start - 300):][-6000:]}"
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    process, url = start_serve(folder, log=folder / "serve.log")
    try:
        wait_until_serving(process, url)
        answer = httpx.post(f"{url}/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
        yield Served(process, url, answer["token"], folder / "serve.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
