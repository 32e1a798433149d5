"""Analysis processes seen from whole scripts: no main guard needed, no SIGINT from the server's group, no orphans."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.analysis_helpers import gone

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups and signals are POSIX")

NO_MAIN_GUARD = """
    import os, time
    from pathlib import Path
    import httpx
    from sqlflow_magic.server import EmbeddedServer, ServerConfig

    here = Path(__file__).parent
    with open(here / "runs.txt", "a") as runs:  # once per execution of this module's top level
        runs.write(f"{os.getpid()}\\n")
    server = EmbeddedServer(ServerConfig(db_path=here / "jobs.sqlite3", users={"u@example.com": "sk"})).start()
    client = httpx.Client(base_url=server.url, timeout=30)
    fields = {"userId": "u@example.com"}
    fields["token"] = client.post("/user/generateToken", data={**fields, "secretKey": "sk"}).json()["token"]
    files = [("sqlfiles", ("a.sql", b"insert into t2 (a) select x from t1;", "application/sql"))]
    job_id = client.post(
        "/sqlflow/job/submitPersistJob", data={**fields, "dbvendor": "dbvoracle"}, files=files
    ).json()["data"]["jobId"]
    deadline = time.monotonic() + 60
    while True:
        summary = client.post("/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job_id}).json()["data"]
        if summary["status"] in ("success", "partial_success", "fail") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    print("status:", summary["status"], summary.get("errorMessage", ""))
    client.close()
    server.stop()
"""


def run_script(
    path: Path, code: str, *, env: dict[str, str] | None = None, cwd: Path | None = None, new_session: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as the script ``path`` (from its directory, unless ``cwd``); the package is found from here."""
    path.write_text(textwrap.dedent(code))
    if env is None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd or path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=new_session,
    )


def test_a_script_without_a_main_guard_can_start_the_server(tmp_path: Path) -> None:
    done = run_script(tmp_path / "script.py", NO_MAIN_GUARD)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "status: success", done.stdout + done.stderr
    assert len((tmp_path / "runs.txt").read_text().split()) == 1  # no process re-imported the script


@posix_only
def test_sigint_to_the_servers_process_group_never_reaches_an_analysis_process(tmp_path: Path) -> None:
    code = """
        import asyncio, os, signal
        from sqlflow_magic.server.pool import AnalysisPool

        interrupts = []
        signal.signal(signal.SIGINT, lambda *_: interrupts.append(1))  # the server takes Ctrl-C in its stride

        async def main():
            pool = AnalysisPool(1, warm=1)
            pool.start()
            ready = pool._children[0].start()
            while True:  # kernel interrupts while the analysis process is starting (one at least, however fast)
                os.killpg(0, signal.SIGINT)
                await asyncio.sleep(0.002)
                if ready.done():
                    break
            os.killpg(0, signal.SIGINT)
            pid = await pool.run(os.getpid, limit=30)
            print(ready.result() == pid, len(interrupts) > 1, os.getpgid(pid) != os.getpgid(0))
            await pool.close()

        asyncio.run(main())
    """
    done = run_script(tmp_path / "interrupted.py", code, new_session=True)  # killpg(0) hits only the script
    assert (done.returncode, done.stdout.split()) == (0, ["True", "True", "True"]), done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stdout + done.stderr


@posix_only
def test_an_analysis_process_ends_with_its_killed_server_even_when_busy(tmp_path: Path) -> None:
    code = """
        import asyncio, os, signal, time
        from sqlflow_magic.server.pool import AnalysisPool

        async def main():
            pool = AnalysisPool(1)
            pool.start()
            print(await pool.run(os.getpid, limit=30), flush=True)
            busy = asyncio.create_task(pool.run(time.sleep, 60, limit=None))
            await asyncio.sleep(0.5)
            os.kill(os.getpid(), signal.SIGKILL)  # no exit hook runs

        asyncio.run(main())
    """
    done = run_script(tmp_path / "killed.py", code)
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not gone(child):
        assert time.monotonic() < deadline, "the analysis process outlived its server"
        time.sleep(0.05)


def test_an_analysis_process_imports_the_package_from_where_the_server_did(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"  # an un-installed copy, found on the script's directory only
    shutil.copytree(REPO / "sqlflow_magic", checkout / "sqlflow_magic", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "probe.py").write_text("def where():\n    import sqlflow_magic\n    return sqlflow_magic.__file__\n")
    code = """
        import asyncio
        import probe
        from sqlflow_magic.server.pool import AnalysisPool

        async def main():
            pool = AnalysisPool(1)
            pool.start()
            try:
                print(probe.where())
                print(await pool.run(probe.where, limit=60))
            finally:
                await pool.close()

        asyncio.run(main())
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = run_script(checkout / "run.py", code, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(checkout / "sqlflow_magic" / "__init__.py")] * 2


# A script that starts the server, has it analyse a long job, prints the server's child processes and then
# ends without stopping the server: by the end of the script, or by kill -9 (no exit hook runs then).
NEVER_STOPPED = """
    import os, sys, time
    from pathlib import Path
    import httpx
    from sqlflow_magic.server import EmbeddedServer, ServerConfig

    here = Path(__file__).parent
    server = EmbeddedServer(ServerConfig(db_path=here / "jobs.sqlite3")).start()
    client = httpx.Client(base_url=server.url, timeout=30)
    fields = {"userId": "gudu|0123456789"}
    sql = "".join(f"insert into t{n % 50} (a) select x + {n} from s{n % 7};\\n" for n in range(60000)).encode()
    files = [("sqlfiles", ("big.sql", sql, "application/sql"))]
    job = client.post("/sqlflow/job/submitPersistJob", data={**fields, "dbvendor": "dbvoracle"}, files=files)
    job_id = job.json()["data"]["jobId"]
    while client.post("/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job_id}).json()["data"][
            "status"] != "process":
        time.sleep(0.02)
    time.sleep(0.3)  # the analysis is under way
    children = {int(pid) for task in Path(f"/proc/{os.getpid()}/task").iterdir()
                for pid in (task / "children").read_text().split()}
    print(*sorted(children), flush=True)
    if sys.argv[1:] == ["kill"]:
        os.kill(os.getpid(), 9)
"""


def children_end(pids: list[int], within: float) -> bool:
    """Whether every process of ``pids`` has ended within ``within`` seconds."""
    deadline = time.monotonic() + within
    while not all(gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="lists child processes from /proc")
@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_a_server_never_stopped_leaves_no_analysis_process_behind(tmp_path: Path, ending: str) -> None:
    """The script ends (exit: promptly, with the analysis still running) and its analysis processes end with it."""
    script = tmp_path / "never_stopped.py"
    script.write_text(textwrap.dedent(NEVER_STOPPED))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, str(script), ending], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        printed = time.monotonic()
        returncode = process.wait(timeout=60)
        ended_after = time.monotonic() - printed
        stderr = process.stderr.read() if process.stderr is not None else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    pids = [int(pid) for pid in line.split()]
    assert pids, f"no analysis process was seen: {line!r} {stderr}"
    assert returncode == (-signal.SIGKILL if ending == "kill" else 0), stderr
    assert ended_after < 5, f"the script took {ended_after:.1f} s to end"
    assert children_end(pids, within=5), "an analysis process outlived its server"
