"""Two things every run does, whatever tests it selects.

* The test tiers and the time each took are printed at the end (CI shows them). A tier is a folder of
  ``tests/`` (unit and real-server tiers, the browser tier) or the tutorials under ``notebooks/`` run by
  nbval. Times are wall-clock seconds of setup, call and teardown, summed.
* The checkout stays as it was: a file the run adds to it (even one .gitignore hides) or a tracked file
  it changes fails the run, named in the summary. Tests write into temp folders; caches are allowed.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
#: What a run may leave in the checkout: Python's and the tools' caches, and what ``pip install .`` builds.
ALLOWED = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "build", ".egg-info")

_TIMES: dict[str, float] = defaultdict(float)
_COUNTS: dict[str, int] = defaultdict(int)


def _tier(nodeid: str) -> str:
    parts = nodeid.split("::", 1)[0].split("/")
    if parts[0] == "notebooks":
        return "notebooks (nbval)"
    if parts[0] == "tests" and len(parts) > 2:
        return "notebooks (nbclient)" if parts[1] == "notebooks" else parts[1]
    return parts[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier(report.nodeid)
    _TIMES[tier] += report.duration
    if report.when == "call":
        _COUNTS[tier] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LEFT_BEHIND:
        terminalreporter.write_sep("!", "the run wrote into the checkout (tests must write to temp folders)", red=True)
        for path in _LEFT_BEHIND:
            terminalreporter.write_line(f"  {path}")
    if not _TIMES:
        return
    terminalreporter.write_sep("-", "time per test tier")
    for tier in sorted(_TIMES, key=lambda name: -_TIMES[name]):
        terminalreporter.write_line(f"{tier:<20} {_COUNTS[tier]:>5} tests {_TIMES[tier]:>8.1f} s")


def _checkout_state() -> dict[str, str] | None:
    """Untracked files (ignored ones too) and changed tracked files, each with a digest of its content;
    None outside a git checkout."""
    def git(*args: str) -> list[str]:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    try:
        paths = git("ls-files", "--others") + git("diff", "--name-only", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return None
    kept = [path for path in paths if not any(part.endswith(ALLOWED) for part in path.split("/"))]
    return {path: _digest(ROOT / path) for path in kept}


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # deleted, or a folder
        return "-"


_BEFORE: dict[str, dict[str, str] | None] = {}
_LEFT_BEHIND: list[str] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _BEFORE["state"] = _checkout_state()


def pytest_sessionfinish(session: pytest.Session) -> None:
    before, after = _BEFORE.get("state"), _checkout_state()
    if before is None or after is None:
        return
    _LEFT_BEHIND[:] = sorted(path for path, digest in after.items() if before.get(path) != digest)
    if _LEFT_BEHIND:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
