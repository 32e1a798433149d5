"""Only their owner can read the job database and the token-signing key, on the embedded and the ``serve`` path
alike (issue 17, break 2): the folder ``0700``, the files ``0600``, whatever the umask; the key in a file of its
own, never in the database; a key an older version kept in the database moves out; rotation ends every token."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from sqlflow_magic.server import EmbeddedServer, ServerConfig, ServerStartError
from sqlflow_magic.server.store import JobStore
from sqlflow_magic.server.tokens import issue_token, key_version
from tests.support.serve_process import start_serve, wait_until_serving
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = [pytest.mark.server, pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")]

SUMMARY = "/sqlflow/job/displayUserJobsSummary"
LEGACY_KEY = "a-key-an-older-version-kept-in-the-job-database-0123456789abcdef"
#: More permissive than any usual umask: files made with default modes would be 0664, folders 0775.
LOOSE_UMASK = 0o002


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, str]:
    """``{name: octal mode}`` of the folder (``"."``) and every file in it."""
    return {".": oct(mode_of(folder)), **{path.name: oct(mode_of(path)) for path in sorted(folder.iterdir())}}


@contextmanager
def serving(kind: str, db: Path, **settings: object) -> Iterator[str]:
    """A server on ``db`` with Alice, as ``kind`` (``embedded``: in this process; ``serve``: the command,
    with :data:`LOOSE_UMASK`); yields its URL."""
    if kind == "embedded":
        config = ServerConfig(db_path=db, users={ALICE: ALICE_SECRET}, **settings)  # type: ignore[arg-type]
        with EmbeddedServer(config) as server:
            yield server.url
        return
    process, url = start_serve(db.parent.parent, db=db, umask=LOOSE_UMASK)
    try:
        wait_until_serving(process, url)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def token_of(client: httpx.Client) -> str:
    answer = client.post("/user/generateToken", data={"userId": ALICE, "secretKey": ALICE_SECRET}).json()
    assert answer["code"] == "200", answer
    return str(answer["token"])


def submit_and_wait(client: httpx.Client, token: str) -> None:
    """A job with some SQL, analysed: the database and its write-ahead log then hold jobs, files and results."""
    fields = {"userId": ALICE, "token": token, "dbvendor": "dbvoracle"}
    sql = ("a.sql", b"insert into t2 (a, b) select x, y from t1;")
    job = client.post("/sqlflow/job/submitPersistJob", data=fields, files=[("sqlfiles", sql)]).json()["data"]
    deadline = time.monotonic() + 20
    while client.post("/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job["jobId"]}).json()[
            "data"]["status"] in ("create", "process"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)


def code_of(client: httpx.Client, token: str) -> object:
    return client.post(SUMMARY, data={"userId": ALICE, "token": token}).json()["code"]


def database_bytes(folder: Path) -> dict[str, bytes]:
    """The bytes of the job database and of every file SQLite keeps beside it."""
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.name.startswith("jobs.sqlite3")
            and not path.name.endswith(".signing-key")}


@dataclass
class Session:
    """What a server left on disk after a token and an analysed job, seen while it ran and after it stopped."""

    folder: Path
    token: str
    key: str | None
    modes_running: dict[str, str]
    modes_after: dict[str, str]
    bytes_running: dict[str, bytes]
    bytes_after: dict[str, bytes]


@pytest.fixture(scope="module", params=["embedded", "serve"])
def session(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A token and an analysed job on a new database, by either path, under :data:`LOOSE_UMASK` (this process's
    too: an embedded server shares it)."""
    folder = tmp_path_factory.mktemp(request.param) / "data"
    previous = os.umask(LOOSE_UMASK)
    try:
        with serving(request.param, folder / "jobs.sqlite3") as url, httpx.Client(base_url=url, timeout=10) as client:
            token = token_of(client)
            submit_and_wait(client, token)
            key_file = folder / "jobs.sqlite3.signing-key"
            key = key_file.read_text().strip() if key_file.exists() else None
            modes_running, bytes_running = modes(folder), database_bytes(folder)
    finally:
        os.umask(previous)
    return Session(folder, token, key, modes_running, modes(folder), bytes_running, database_bytes(folder))


def test_the_folder_is_0700_and_every_file_0600_whatever_the_umask(session: Session) -> None:
    for found in (session.modes_running, session.modes_after):
        assert found == {name: oct(0o700 if name == "." else 0o600) for name in found}
    assert {"jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm", "jobs.sqlite3.signing-key"} <= set(
        session.modes_running)


def test_the_signing_key_is_in_its_own_file_and_nowhere_in_the_database(session: Session) -> None:
    assert session.key is not None, "no signing key file beside the database"
    assert jwt.decode(session.token, session.key, algorithms=["HS256"], audience="gudusoft")["sub"] == ALICE
    assert "jobs.sqlite3-wal" in session.bytes_running
    for name, content in [*session.bytes_running.items(), *session.bytes_after.items()]:
        assert session.key.encode() not in content, f"the signing key is in {name}"


def make_legacy_database(db: Path) -> None:
    """A job database as an older version left it: the signing key in its settings table, the folder 0755 and
    the files 0644."""
    JobStore(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO settings (key, value) VALUES ('jwt_secret', ?)", (LEGACY_KEY,))
    connection.close()
    db.parent.chmod(0o755)
    for path in db.parent.iterdir():
        path.chmod(0o644)


def test_a_key_an_older_version_kept_in_the_database_moves_into_the_file(tmp_path: Path) -> None:
    db = tmp_path / "data" / "jobs.sqlite3"
    make_legacy_database(db)
    old_token = issue_token(LEGACY_KEY, ALICE, 3600, version=key_version(LEGACY_KEY, ALICE_SECRET))
    with serving("embedded", db) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert code_of(client, old_token) == 200  # existing tokens keep working
        key_file = db.with_name("jobs.sqlite3.signing-key")
        assert key_file.read_text().strip() == LEGACY_KEY
        running, running_modes = database_bytes(db.parent), modes(db.parent)
    for name, content in {**running, **database_bytes(db.parent)}.items():
        assert LEGACY_KEY.encode() not in content, f"the old key is still in {name}"
    for found in (running_modes, modes(db.parent)):  # a folder given with --db is the user's (see below)
        assert found == {name: oct(0o755 if name == "." else 0o600) for name in found}
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT key FROM settings").fetchall() == []
    connection.close()


def test_an_explicit_jwt_secret_still_wins(tmp_path: Path) -> None:
    secret = "a-jwt-secret-given-in-the-server-configuration-0123456789"
    with serving("embedded", tmp_path / "jobs.sqlite3", jwt_secret=secret) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        token = token_of(client)
    assert jwt.decode(token, secret, algorithms=["HS256"], audience="gudusoft")["sub"] == ALICE
    assert not (tmp_path / "jobs.sqlite3.signing-key").exists()


def test_the_default_data_folder_left_open_by_an_older_version_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "sqlflow-magic"
    make_legacy_database(folder / "jobs.sqlite3")
    with caplog.at_level(logging.WARNING, logger="sqlflow_magic"), EmbeddedServer(ServerConfig()) as server:
        assert server.config.db_path == folder / "jobs.sqlite3"
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.post("/user/generateToken", data={"userId": "gudu|0123456789"}).json()["code"] == "200"
    assert modes(folder) == {name: oct(0o700 if name == "." else 0o600) for name in modes(folder)}
    warnings = "\n".join(record.getMessage() for record in caplog.records)
    assert f"{folder} was open to other users (mode 0755); it is now 0700" in warnings
    assert f"{folder / 'jobs.sqlite3'} was open to other users (mode 0644); it is now 0600" in warnings
    assert LEGACY_KEY not in warnings


def test_a_folder_given_with_db_is_left_as_it_is_and_its_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    folder.chmod(0o755)  # a project or home folder: not the server's to change
    with serving("embedded", folder / "jobs.sqlite3") as url, httpx.Client(base_url=url, timeout=10) as client:
        token_of(client)
    found = modes(folder)
    assert found == {name: oct(0o755 if name == "." else 0o600) for name in found}


@pytest.mark.parametrize("content", ["", "too-short"])
def test_a_key_file_that_holds_no_key_stops_the_start_with_one_line(tmp_path: Path, content: str) -> None:
    db = tmp_path / "jobs.sqlite3"
    db.with_name("jobs.sqlite3.signing-key").write_text(content)
    with pytest.raises(ServerStartError) as refused:
        EmbeddedServer(ServerConfig(db_path=db)).start()
    message = str(refused.value)
    assert "jobs.sqlite3.signing-key holds no key" in message and "rotate-signing-key --db" in message
    assert "\n" not in message
    result = subprocess.run([sys.executable, "-m", "sqlflow_magic.cli", "serve", "--port", "0", "--db", str(db)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "holds no key" in result.stderr


def rotate(db: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sqlflow_magic.cli", "rotate-signing-key", "--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def test_rotating_the_signing_key_ends_every_token_at_once(tmp_path: Path) -> None:
    db = tmp_path / "data" / "jobs.sqlite3"
    key_file = db.with_name("jobs.sqlite3.signing-key")
    process, url = start_serve(tmp_path, db=db)
    try:
        wait_until_serving(process, url)
        with httpx.Client(base_url=url, timeout=10) as client:
            old_token = token_of(client)
            assert code_of(client, old_token) == 200  # verified once: now remembered too
            old_key = key_file.read_text()
            rotated = rotate(db)
            assert rotated.returncode == 0, rotated.stderr
            assert code_of(client, old_token) == 403
            assert code_of(client, token_of(client)) == 200
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    new_key = key_file.read_text()
    assert new_key != old_key and mode_of(key_file) == 0o600
    assert "was replaced" in rotated.stdout
    for output in (rotated.stdout, rotated.stderr, stdout, stderr):
        assert old_key.strip() not in output and new_key.strip() not in output


def test_a_rotated_key_ends_the_tokens_of_an_embedded_server_too(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite3"
    with serving("embedded", db) as url, httpx.Client(base_url=url, timeout=10) as client:
        old_token = token_of(client)
        assert rotate(db).returncode == 0
        assert code_of(client, old_token) == 403
    with serving("embedded", db) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert code_of(client, old_token) == 403  # and after a restart


def test_rotating_needs_a_database(tmp_path: Path) -> None:
    result = rotate(tmp_path / "missing.sqlite3")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no job database at" in result.stderr and "--db" in result.stderr
    assert not (tmp_path / "missing.sqlite3.signing-key").exists()
