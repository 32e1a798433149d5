"""Shared helpers of the peer benchmarks (``load_cost``, ``submit_overhead``, ``big_cell``): statistics,
tables, machine info, a clean environment for child processes and a local server in its own process.

Not a benchmark itself. The scripts import it as ``_common`` (``python benchmarks/<name>.py`` puts
``benchmarks/`` first on ``sys.path``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the repository's sqlflow_magic when it is not installed (PYTHONPATH still wins)
    sys.path.append(str(ROOT))
USER_ID = "bench-user"
SECRET_KEY = "bench-secret-key-0123456789"
#: Form fields ``%%sqlflow_submit`` sends for a plain first submit (no options); the raw peers send the same.
SUBMIT_FIELDS = {"dbvendor": "dbvoracle", "firstSubmit": "true", "schedulable": "false", "onTop": "false"}
CELL_CONTENT_TYPE = "text/plain; charset=utf-8"


# --- statistics and tables ----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (readable as plain text too): columns of figures right-aligned, text left-aligned."""
    columns = list(zip(header, *rows, strict=True))
    widths = [max(len(str(cell)) for cell in column) for column in columns]
    right = [all(str(c)[:1] in "0123456789+-.<>=" for c in column[1:]) for column in columns]

    def line(cells: Sequence[str]) -> str:
        shown = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "| " + " | ".join(shown) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" if r else "-" * (w + 2) for w, r in zip(widths, right, strict=True)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


# --- machine and versions -----------------------------------------------------------------------


def machine_info() -> str:
    """One line: CPU model, core count, OS, Python and the versions of the packages compared."""
    cpu = platform.processor() or platform.machine()
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    try:
        import sqlflow_magic

        versions.append(f"sqlflow_magic from {Path(sqlflow_magic.__file__).parent}")
    except ImportError:
        pass
    for package in ("sqlflow-magic", "ipython", "httpx", "httpcore", "ipywidgets", "jupysql"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f} at start"
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}{load}; " + ", ".join(versions)
    )


# --- child processes ----------------------------------------------------------------------------


def child_env(pycache_dir: Path, ipython_dir: Path) -> dict[str, str]:
    """The environment of measured child processes.

    - bytecode caches on, kept in ``pycache_dir`` (``PYTHONPYCACHEPREFIX``): the same for every
      package, so no variant pays for compiling its modules while another reads ``.pyc`` files
      (``PYTHONDONTWRITEBYTECODE`` in the caller's environment would otherwise do exactly that);
    - a fresh ``IPYTHONDIR``, so no user profile or startup file runs;
    - JupySQL's (ploomber's) telemetry and version check off, so it makes no network calls;
    - no ``SQLFLOW_*`` variables from the caller;
    - the repository on ``PYTHONPATH`` after the caller's entries (so ``PYTHONPATH=/some/checkout``
      measures that checkout's sqlflow_magic). Run children in a neutral folder: ``python -c`` puts the
      working folder first on ``sys.path``.
    """
    pycache_dir.mkdir(parents=True, exist_ok=True)
    ipython_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQLFLOW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "PYTHONPYCACHEPREFIX": str(pycache_dir),
            "IPYTHONDIR": str(ipython_dir),
            "PLOOMBER_STATS_ENABLED": "false",
            "PLOOMBER_VERSION_CHECK_DISABLED": "true",
            "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH", ""), str(ROOT)) if p),
        }
    )
    return env


# --- a local server in its own process ----------------------------------------------------------


def _serve(db_path: str, max_upload_bytes: int, answer: Connection, stop: Event) -> None:
    """Child process: run the embedded server until ``stop`` is set; send its URL (or an error) first."""
    from sqlflow_magic.server import EmbeddedServer, ServerConfig

    config = ServerConfig(  # store only: no worker, so no cap on the jobs that stay queued
        db_path=Path(db_path), users={USER_ID: SECRET_KEY}, run_worker=False, max_upload_bytes=max_upload_bytes,
        max_queued_jobs_per_user=None,
    )
    try:
        server = EmbeddedServer(config).start()
    except Exception as exc:
        answer.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    answer.send(("url", server.url))
    stop.wait()
    server.stop()


@contextmanager
def server_process(max_upload_bytes: int = 200 * 1024 * 1024) -> Iterator[str]:
    """The local SQLFlow-compatible server in a separate (spawned) process; yields its base URL.

    It runs without the job worker (``run_worker=False``): jobs are stored and stay in status
    ``create``, so no lineage analysis competes for the CPU with what is measured. Being in another
    process, its memory and CPU never count in the client's figures.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-server-") as folder:
        process = context.Process(
            target=_serve, args=(str(Path(folder) / "jobs.sqlite3"), max_upload_bytes, send, stop), daemon=True
        )
        process.start()
        try:
            if not receive.poll(60):
                raise RuntimeError("the local server did not start within 60 s")
            kind, value = receive.recv()
            if kind != "url":
                raise RuntimeError(f"the local server did not start: {value}")
            yield value
        finally:
            stop.set()
            process.join(15)
            if process.is_alive():
                process.kill()
                process.join()


def fetch_token(base_url: str) -> str:
    """A token for the benchmark user, from ``/user/generateToken`` (what the raw peers send)."""
    import httpx

    answer = httpx.post(f"{base_url}/user/generateToken", data={"userId": USER_ID, "secretKey": SECRET_KEY})
    answer.raise_for_status()
    return str(answer.json()["token"])


def configure_shell(shell: object, base_url: str) -> None:
    """Point ``%%sqlflow_submit`` of ``shell`` (extension loaded) at ``base_url`` as the benchmark user."""
    os.environ["SQLFLOW_SECRET_KEY"] = SECRET_KEY
    run = shell.run_line_magic  # type: ignore[attr-defined]
    run("config", f"SQLFlowMagics.base_url = {base_url!r}")
    run("config", f"SQLFlowMagics.user_id = {USER_ID!r}")


def quiet_display(shell: object) -> list[int]:
    """Make ``shell``'s display publisher keep only a count of what it is given.

    ``display()`` still formats every object (``_repr_mimebundle_``: HTML, text and the widget
    view are all built); only the final write of the bundle to the terminal is left out. Returns the
    list whose length counts the published bundles.
    """
    from IPython.core.displaypub import DisplayPublisher

    published: list[int] = []

    class CountingPublisher(DisplayPublisher):
        def publish(self, data: dict[str, object], *args: object, **kwargs: object) -> None:
            published.append(len(data))

        def clear_output(self, wait: bool = False) -> None:
            pass

    shell.display_pub = CountingPublisher(shell=shell)  # type: ignore[attr-defined]
    return published


if __name__ == "__main__":
    sys.exit("benchmarks/_common.py is a helper module; run benchmarks/load_cost.py, submit_overhead.py or big_cell.py")


def run_in_kernel(module: str, call: str, on_message: Callable[[dict[str, Any]], None] | None = None) -> Any:
    """``module.call`` (e.g. ``measure(15, 2)``) run in a fresh IPython kernel (``jupyter_client``), as a
    notebook runs it; its JSON result is read from what it prints. ``on_message`` sees every output message."""
    import json

    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-kernel-") as folder:
        env = child_env(Path(folder) / "pycache", Path(folder) / "ipython")
        manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=folder)
        try:
            code = (f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                    f"import {module}\n"
                    f"print('RESULT' + json.dumps({module}.{call}))")
            printed: list[str] = []

            def collect(message: dict[str, Any]) -> None:
                if on_message is not None:
                    on_message(message)
                if message["header"]["msg_type"] == "stream":
                    printed.append(message["content"]["text"])
                elif message["header"]["msg_type"] == "error":
                    printed.append("\n".join(message["content"]["traceback"]))

            reply = client.execute_interactive(code, timeout=3600, output_hook=collect)
            text = "".join(printed)
            if reply["content"]["status"] != "ok" or "RESULT" not in text:
                raise RuntimeError(f"the kernel's run failed:\n{text[-3000:]}")
            return json.loads(text.split("RESULT", 1)[1].strip().splitlines()[0])
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
