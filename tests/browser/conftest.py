"""Fixtures of the real-browser tests: Debian's headless Chromium driven by playwright, and Jupyter servers.

* ``chromium``: one browser for the whole ``tests/browser`` package. The tests are skipped, with the
  reason, only when ``/usr/bin/chromium`` is missing (CI installs it with ``apt-get install -y chromium``).
  Playwright drives that system Chromium through ``executable_path``; ``playwright install`` is never needed.
* ``jupyter``: a JupyterLab 4 or a Notebook 7 server (the fixture is parametrized over both UIs), one
  per UI, started with ``subprocess.Popen`` on a free loopback port with token auth. Its root is a temp
  copy of ``notebooks/`` (exports written by the tutorials stay out of the repo), its Jupyter and IPython
  dirs are temp dirs, and its kernels keep their jobs in a temp ``SQLFLOW_LOCAL_SERVER_DB``; every other
  ``SQLFLOW_*`` variable is removed, so the kernels use the embedded local server whatever the developer set.
* ``screenshot_dir``: ``$E2E_SCREENSHOT_DIR`` or a temp dir; printed (run pytest with ``-s`` to see it).

Why each flag and wait: the comments where they are set (``CHROMIUM_ARGS`` below, ``tests/support/browser_pages.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from tests.support.browser_pages import NOTEBOOKS, offline_context

CHROMIUM = Path("/usr/bin/chromium")
#: Needed as root (--no-sandbox) and offline (no background traffic); playwright adds --headless itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SKIP_REASON = (f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium); "
               "CI installs it, so there these tests run")
TOKEN = "sqlflow-e2e-token"
#: No news toast over the screenshots, no extension manager (it would go to the network).
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
    # every cell's outputs rendered, also outside the viewport: the tests count panels and pictures
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
UIS = {"lab": "jupyterlab", "notebook": "notebook"}


def chromium_missing() -> bool:
    return not CHROMIUM.exists()


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server: ``ui`` is ``lab`` (JupyterLab 4) or ``notebook`` (Notebook 7)."""

    ui: str
    base_url: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        if self.ui == "lab":  # ?reset: no saved workspace layout is restored
            return f"{self.base_url}/lab/tree/{name}?reset&token={TOKEN}"
        return f"{self.base_url}/notebooks/{name}?token={TOKEN}"

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}/api/{path}", method=method, data=data,
                                         headers={"Authorization": f"token {TOKEN}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def start_session(self, name: str) -> None:
        """Start a kernel for notebook ``name`` (the answer comes at once, the kernel boots meanwhile).

        Opened next, the notebook joins this session, as when a notebook with a running kernel is
        reopened; the kernel's start then overlaps the page's load.
        """
        self.api("POST", "sessions", {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}})

    def delete_sessions(self) -> None:
        """End every session (and so its kernel): the next notebook starts on a fresh kernel."""
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def copy(self, name: str, new_name: str, *, trusted: bool = False) -> str:
        """Copy notebook ``name`` in the server's root to ``new_name``; ``trusted``: sign it as ``jupyter trust``
        does, in this server's own notary database (a fresh clone's notebooks are untrusted)."""
        shutil.copyfile(self.root / name, self.root / new_name)
        if trusted:  # nbformat's notary in this process: `jupyter trust` in a subprocess took 2-4 s a notebook
            notebook = nbformat.read(self.root / new_name, as_version=nbformat.NO_CONVERT)
            NotebookNotary(data_dir=str(_server_env(self.root.parent)["JUPYTER_DATA_DIR"])).sign(notebook)
        return new_name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SQLFLOW_", "JUPYTER"))}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "lab-user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"), IPYTHONDIR=str(home / "ipython"),
               SQLFLOW_LOCAL_SERVER_DB=str(home / "jobs.sqlite3"), PYTHONUNBUFFERED="1")
    return env


def _server_command(ui: str, port: int, root: Path, settings: Path) -> list[str]:
    command = [sys.executable, "-m", UIS[ui], "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
               f"--LabServerApp.app_settings_dir={settings}"]
    if ui == "lab":  # Notebook 7 has no news feed or extension manager of its own
        command += ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                    "--LabApp.extension_manager=readonly"]
    return command


@pytest.fixture(scope="package")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests put their screenshots: ``$E2E_SCREENSHOT_DIR`` or a temp dir."""
    configured = os.environ.get("E2E_SCREENSHOT_DIR")
    path = Path(configured).resolve() if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print("\nscreenshots:", path)
    return path


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One headless Chromium (playwright ``Browser``) for the whole package; skips when it is missing."""
    if chromium_missing():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Scrollbars shown (playwright hides them by default): the screenshots show what a user sees.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                             ignore_default_args=["--hide-scrollbars"])
        try:
            yield browser
        finally:
            browser.close()


def _start_server(ui: str, home: Path) -> tuple[subprocess.Popen[bytes], JupyterServer]:
    root = home / "notebooks"
    # a clean checkout's notebooks/: without what earlier runs of the tutorials wrote there
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "exports",
                                                                   "warehouse.zip"))
    settings = home / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
    port = _free_port()
    log = home / "server.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(_server_command(ui, port, root, settings), cwd=root, env=_server_env(home),
                                   stdout=log_file, stderr=subprocess.STDOUT)
    return process, JupyterServer(ui=ui, base_url=f"http://127.0.0.1:{port}", root=root, log=log)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: the server shuts its kernels down
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="package")
def jupyter_launches(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Any, JupyterServer]]]:
    """Start, at once, the server of every UI the selected tests use (they boot while Chromium starts
    and while the first UI's tests run); each is stopped by ``jupyter`` when its UI is done."""
    if chromium_missing():  # no browser: no point in starting servers
        pytest.skip(SKIP_REASON)
    wanted = {item.callspec.params["jupyter"] for item in request.session.items
              if "jupyter" in getattr(getattr(item, "callspec", None), "params", {})}
    launches = {ui: _start_server(ui, tmp_path_factory.mktemp(f"jupyter-{ui}")) for ui in UIS if ui in wanted}
    try:
        yield launches
    finally:
        for process, _server in launches.values():
            _stop(process)


@pytest.fixture(scope="package", params=list(UIS), ids=["jupyterlab4", "notebook7"])
def jupyter(request: pytest.FixtureRequest, jupyter_launches: dict[str, tuple[Any, JupyterServer]]
            ) -> Iterator[JupyterServer]:
    """A JupyterLab 4 / Notebook 7 server on a temp copy of ``notebooks/``, answering; stopped (kernels
    too) when the tests of its UI are done. One server per UI: pytest runs the tests grouped by UI."""
    ui: str = request.param
    if ui not in jupyter_launches:  # e.g. a test asked for jupyter without being collected normally
        jupyter_launches[ui] = _start_server(ui, request.getfixturevalue("tmp_path_factory").mktemp(f"jupyter-{ui}"))
    process, server = jupyter_launches[ui]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                server.api("GET", "status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the {ui} server did not start (exit code {process.poll()}); "
                                f"log {server.log}:\n{server.log_tail()}")
                time.sleep(0.1)
        yield server
    finally:
        _stop(process)


@pytest.fixture
def notebook_page(jupyter_launches: Any, chromium: Any, jupyter: JupyterServer) -> Iterator[Any]:
    """A fresh browser context and page, offline but for the Jupyter server; sessions ended afterwards.

    (``jupyter_launches`` first: the servers boot while Chromium starts.)
    """
    context, blocked = offline_context(chromium, ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        jupyter.delete_sessions()  # the next notebook gets a fresh kernel; this one's kernel is shut down
        if blocked:
            print(f"\n[{jupyter.ui}] blocked {len(blocked)} non-loopback request(s): {blocked[:5]}")
