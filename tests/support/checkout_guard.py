"""A pytest plugin: the run leaves the checkout as it found it.

A file the run adds to the checkout (even one .gitignore hides) or a tracked file it changes fails the
run, named in the summary. Tests write into temp folders; caches are allowed. The checkout is pytest's
rootdir; outside a git checkout nothing is checked. (``tests/hardening/test_checkout_stays_clean.py``
runs this file as the conftest of a throw-away repository, so it imports nothing from ``tests``.)
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

#: What a run may leave in the checkout: Python's and the tools' caches, and what ``pip install .`` builds.
ALLOWED = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".import_linter_cache", ".hypothesis", "build",
           ".egg-info")

_BEFORE: dict[str, dict[str, str] | None] = {}
_LEFT_BEHIND: list[str] = []


def _checkout_state(root: Path) -> dict[str, str] | None:
    """Untracked files (ignored ones too) and changed tracked files, each with a digest of its content;
    None outside a git checkout."""
    def git(*args: str) -> list[str]:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    try:
        paths = git("ls-files", "--others") + git("diff", "--name-only", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return None
    kept = [path for path in paths if not any(part.endswith(ALLOWED) for part in path.split("/"))]
    return {path: _digest(root / path) for path in kept}


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # deleted, or a folder
        return "-"


def pytest_sessionstart(session: pytest.Session) -> None:
    _BEFORE["state"] = _checkout_state(session.config.rootpath)


def pytest_sessionfinish(session: pytest.Session) -> None:
    before, after = _BEFORE.get("state"), _checkout_state(session.config.rootpath)
    if before is None or after is None:
        return
    _LEFT_BEHIND[:] = sorted(path for path, digest in after.items() if before.get(path) != digest)
    if _LEFT_BEHIND:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LEFT_BEHIND:
        terminalreporter.write_sep("!", "the run wrote into the checkout (tests must write to temp folders)", red=True)
        for path in _LEFT_BEHIND:
            terminalreporter.write_line(f"  {path}")
