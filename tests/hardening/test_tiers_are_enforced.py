"""Every test has exactly one tier marker, and a run ends with the time of each tier (tests/support/tiers.py).

Each case runs pytest, in a subprocess, on a temp folder holding the plugin as its conftest and one test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TIERS_PLUGIN = Path(__file__).resolve().parents[1] / "support" / "tiers.py"


def run_pytest(tmp_path: Path, marks: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(TIERS_PLUGIN.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test_case.py").write_text(f"import pytest\n\n{marks}\ndef test_case():\n    pass\n", encoding="utf-8")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_case.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(("marks", "named"), [
    ("", "no tier"),
    ("pytestmark = pytest.mark.unit\n@pytest.mark.server", "server, unit"),
], ids=["none", "two"])
def test_a_test_without_exactly_one_tier_stops_the_run(tmp_path, marks, named):
    done = run_pytest(tmp_path, marks)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"test_case.py::test_case: {named}" in done.stderr


def test_the_run_ends_with_the_time_of_each_tier(tmp_path):
    done = run_pytest(tmp_path, "pytestmark = pytest.mark.server\n")
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    assert "time per test tier" in done.stdout
    [line] = [line for line in done.stdout.splitlines() if line.startswith("server ")]
    assert line.split()[1:3] == ["1", "tests"]


def test_the_tiers_run_fastest_first_whatever_the_order_of_the_files(tmp_path):
    (tmp_path / "conftest.py").write_text(TIERS_PLUGIN.read_text(encoding="utf-8"), encoding="utf-8")
    for name, tier in (("a", "browser"), ("b", "server"), ("c", "unit"), ("d", "fuzz")):
        (tmp_path / f"test_{name}.py").write_text(f"import pytest\n\npytestmark = pytest.mark.{tier}\n"
                                                  f"def test_{tier}():\n    pass\n", encoding="utf-8")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    ran = [line.split("::")[1].split()[0] for line in done.stdout.splitlines() if " PASSED" in line]
    assert ran == ["test_unit", "test_server", "test_fuzz", "test_browser"]
