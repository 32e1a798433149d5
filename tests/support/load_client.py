"""Load helpers: a ``sqlflow-magic serve`` subprocess that can be killed, and recording submit clients.

Used by ``tests/hardening/test_server_under_load.py`` and ``benchmarks/server_load.py``. All traffic
goes to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PREFIX = "/gspLive_backend"
SUBMIT_PATH = f"{PREFIX}/sqlflow/job/submitPersistJob"
FINAL = ("success", "partial_success", "fail")
READY_LINE = "sqlflow-magic local SQLFlow server: "


# -- the server process ---------------------------------------------------------------------
class ServerProcess:
    """``sqlflow-magic serve`` in its own process group (so that a ``kill -9`` hits only the server).

    ``start()`` waits for the line that names the URL (``--port 0`` lets the OS pick a free port),
    then until the token endpoint answers. ``options`` are more options of ``serve``; ``argv`` runs
    another server that prints the same line.
    """

    def __init__(
        self,
        db_path: Path,
        users_file: Path,
        *,
        host: str | None = "127.0.0.1",
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        argv: list[str] | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.db_path = db_path
        self.argv = argv
        self.options = list(options)
        self.users_file = users_file
        self.host = host
        self.cwd = cwd
        self.env = env
        self.log_path = log_path or db_path.with_suffix(".log")
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.known_children: set[int] = set()

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        """The command line (``argv`` if given); ``--host`` only when one was given."""
        if self.argv is not None:
            return list(self.argv)
        command = [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--port", "0"]
        if self.host is not None:
            command += ["--host", self.host]
        return [*command, "--db", str(self.db_path), "--users-file", str(self.users_file), *self.options]

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the server and wait (at most ``timeout`` s) until it answers."""
        env = {**os.environ, **(self.env or {})}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parents[2]), env.get("PYTHONPATH")]))
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=self.cwd,
            env=env,
            start_new_session=True,
        )
        log.close()
        self.url = self._read_url(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.post(f"{self.url}/user/generateToken", timeout=5)
                return self
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not come up; see {self.log_path}") from None
                time.sleep(0.05)

    def _read_url(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        found: list[str] = []
        stdout = self.process.stdout

        def read() -> None:
            line = stdout.readline()
            if line.startswith(READY_LINE):
                found.append(line[len(READY_LINE) :].strip())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not found:
            self.kill()
            raise RuntimeError(f"the server printed no URL within {timeout:g} s; see {self.log_path}")
        return found[0]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the URL without the API prefix)."""
        return self.url.removesuffix(PREFIX)

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process is not None and self.process.poll() is None

    def remember_children(self) -> None:
        """Note the server's descendants (analysis processes), so they can be reaped after a kill."""
        if self.process is not None:
            self.known_children |= descendants(self.process.pid)

    def kill(self) -> None:
        """``kill -9`` the server process only (its analysis processes are orphaned, as in a crash)."""
        if self.process is None:
            return
        self.remember_children()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop gracefully (SIGTERM), killing it after ``timeout`` s; reap stray children; return the exit code."""
        if self.process is None:
            return None
        self.remember_children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.reap_children()
        return self.process.returncode

    def reap_children(self, grace: float = 5.0) -> list[int]:
        """Wait up to ``grace`` s for known children to end, then kill the rest by pid; return those killed."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_running(pid) for pid in self.known_children):
            time.sleep(0.05)
        killed = [pid for pid in self.known_children if _running(pid)]
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.known_children.clear()
        return killed


def descendants(pid: int) -> set[int]:
    """All descendants of ``pid`` (Linux ``/proc``; empty elsewhere)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def write_users_file(path: Path, users: Mapping[str, str]) -> Path:
    """Write ``{"userId": "secretKey"}`` JSON to ``path``."""
    path.write_text(json.dumps(dict(users)), encoding="utf-8")
    return path


# -- the SQL that is sent -------------------------------------------------------------------
_WORDS = ("orders", "sales", "stock", "clients", "ledger", "events", "prices", "staff", "region", "audit")
_TEXT = "abcdefghijklmnopqrstuvwxyz ÄÖÜßéèçñ漢字カナ😀'"


def random_sql(rng: random.Random, tag: str) -> bytes:
    """A few random statements (UTF-8, some non-ASCII literals); ``tag`` makes the content distinct."""
    lines = [f"-- {tag}"]
    for _ in range(rng.randint(1, 6)):
        source, target = (f"{rng.choice(_WORDS)}_{rng.randrange(1000)}" for _ in range(2))
        columns = [f"c{rng.randrange(50)}" for _ in range(rng.randint(1, 5))]
        literal = "".join(rng.choice(_TEXT) for _ in range(rng.randint(0, 40))).replace("'", "''")
        kind = rng.randrange(3)
        if kind == 0:
            lines.append(
                f"insert into {target} ({', '.join(columns)}) select {', '.join(columns)} from {source} "
                f"where note <> '{literal}';"
            )
        elif kind == 1:
            lines.append(f"create view v_{target} as select {', '.join(columns)}, '{literal}' as tag from {source};")
        else:
            lines.append(
                f"select a.{columns[0]}, b.x from {source} a join {target} b on a.id = b.id where b.y = '{literal}';"
            )
    return "\n".join(lines).encode("utf-8")


# -- recording clients ----------------------------------------------------------------------
@dataclass(frozen=True)
class SentFile:
    """One file of a submit: its name, its bytes' SHA-256 and size."""

    name: str
    sha256: str
    size: int


@dataclass
class SubmitRecord:
    """One submit as the client saw it. ``target`` is the jobId of an incremental submit."""

    client: int
    number: int
    files: tuple[SentFile, ...]
    target: str | None = None
    answered: bool = False
    http_status: int | None = None
    code: int | str | None = None
    job_id: str | None = None
    file_names: tuple[str, ...] = ()
    error: str = ""
    latency: float = 0.0

    @property
    def accepted(self) -> bool:
        """HTTP 200 with ``code`` 200 received."""
        return self.answered and self.http_status == 200 and self.code == 200


@dataclass
class LoadPlan:
    """What each client sends: ``submits`` submits of 1-3 files, ``incremental`` of them onto earlier jobs."""

    submits: int = 250
    incremental: float = 0.3
    seed: int = 20240611
    timeout: float = 30.0
    fields: dict[str, str] = field(default_factory=lambda: {"dbvendor": "dbvoracle"})


@dataclass
class ClientRun:
    """A client's records, in the order it sent them."""

    client: int
    user_id: str
    records: list[SubmitRecord] = field(default_factory=list)
    failure: str = ""


def token_for(client: httpx.Client, user_id: str, secret: str) -> str:
    """Trade a user's secret for a token."""
    answer = client.post(f"{PREFIX}/user/generateToken", data={"userId": user_id, "secretKey": secret}).json()
    if answer.get("code") != "200":
        raise RuntimeError(f"no token for {user_id}: {answer}")
    return answer["token"]


def run_client(
    base_url: str,
    number: int,
    credentials: tuple[str, str] | None,
    plan: LoadPlan,
    *,
    path: str = SUBMIT_PATH,
    stop: threading.Event | None = None,
    on_answer: Callable[[SubmitRecord], None] | None = None,
) -> ClientRun:
    """Send ``plan.submits`` submits one after the other; record each. ``credentials`` None sends no token.

    The client stops at the first transport error (the server is gone): that submit stays unanswered.
    """
    rng = random.Random(f"{plan.seed}-{number}")
    user_id = credentials[0] if credentials else "anonymous"
    run = ClientRun(number, user_id)
    jobs: list[str] = []
    with httpx.Client(base_url=base_url, timeout=plan.timeout) as client:
        fields = dict(plan.fields)
        if credentials is not None:
            fields.update(userId=user_id, token=token_for(client, *credentials))
        for index in range(plan.submits):
            if stop is not None and stop.is_set():
                break
            target = rng.choice(jobs) if jobs and rng.random() < plan.incremental else None
            contents = [
                (f"c{number}-s{index}-f{k}.sql", random_sql(rng, f"client {number} submit {index} file {k}"))
                for k in range(rng.randint(1, 3))
            ]
            record = SubmitRecord(
                number,
                index,
                tuple(SentFile(name, hashlib.sha256(data).hexdigest(), len(data)) for name, data in contents),
                target,
            )
            run.records.append(record)
            data = {**fields, **({"jobId": target, "incremental": "true"} if target else {})}
            parts = [("sqlfiles", (name, body, "application/sql")) for name, body in contents]
            started = time.perf_counter()
            try:
                response = client.post(path, data=data, files=parts)
            except httpx.TransportError as exc:
                record.error = f"{type(exc).__name__}: {exc}"
                break
            record.latency = time.perf_counter() - started
            record.answered = True
            record.http_status = response.status_code
            _read_answer(record, response)
            if record.accepted and record.job_id and target is None:
                jobs.append(record.job_id)
            if on_answer is not None:
                on_answer(record)
    return run


def _read_answer(record: SubmitRecord, response: httpx.Response) -> None:
    try:
        body = response.json()
    except ValueError:
        record.error = f"not JSON: {response.text[:200]!r}"
        return
    record.code = body.get("code")
    data = body.get("data") or {}
    record.job_id = data.get("jobId")
    record.file_names = tuple(data.get("fileNames") or ())
    record.error = str(body.get("error") or "")


def run_clients(
    base_url: str,
    credentials: list[tuple[str, str] | None],
    plan: LoadPlan,
    *,
    path: str = SUBMIT_PATH,
    stop: threading.Event | None = None,
    on_answer: Callable[[SubmitRecord], None] | None = None,
    timeout: float = 600.0,
) -> list[ClientRun]:
    """Run one client thread per entry of ``credentials``, all at once; wait at most ``timeout`` s."""
    runs: list[ClientRun | None] = [None] * len(credentials)

    def work(index: int) -> None:
        try:
            runs[index] = run_client(
                base_url, index, credentials[index], plan, path=path, stop=stop, on_answer=on_answer
            )
        except Exception as exc:  # reported to the caller, which asserts on it
            user = credentials[index][0] if credentials[index] else "anonymous"
            runs[index] = ClientRun(index, user, failure=f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(i,), name=f"load-client-{i}") for i in range(len(credentials))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if stop is not None:
        stop.set()
    for thread in threads:
        thread.join(plan.timeout + 5)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"load clients still running after {timeout:g} s")
    return [run for run in runs if run is not None]


def sha256_of(content: bytes) -> str:
    """Hex SHA-256 of ``content``."""
    return hashlib.sha256(content).hexdigest()
