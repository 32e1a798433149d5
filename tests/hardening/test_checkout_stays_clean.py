"""The test suite writes nothing into the checkout: the checkout guard plugin fails a run that does.

Each case runs pytest, in a subprocess, on a throw-away git repository holding the plugin
(``tests/support/checkout_guard.py``) as its conftest and one test; a test that passes but leaves a file
behind must still fail the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

GUARD = Path(__file__).resolve().parents[1] / "support" / "checkout_guard.py"


def run_in_checkout(tmp_path: Path, test_body: str) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "checkout"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "conftest.py").write_text(GUARD.read_text(encoding="utf-8"), encoding="utf-8")
    (repo / ".gitignore").write_text("*.zip\n", encoding="utf-8")
    (repo / "notebooks" / "tutorial.ipynb").write_text("{}\n", encoding="utf-8")
    (repo / "test_case.py").write_text(f"from pathlib import Path\n\n\ndef test_case(tmp_path):\n{test_body}\n",
                                       encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    # only pytest and the guard: the installed plugins (nbval, anyio...) take longer to load than the test runs
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_case.py"],
                          cwd=repo, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(("body", "named"), [
    ("    Path('notebooks/exports').mkdir()\n    Path('notebooks/exports/lineage.csv').write_text('a,b')",
     "notebooks/exports/lineage.csv"),
    ("    Path('notebooks/warehouse.zip').write_bytes(b'PK')", "notebooks/warehouse.zip"),  # ignored, still caught
    ("    Path('notebooks/tutorial.ipynb').write_text('{\"cells\": []}')", "notebooks/tutorial.ipynb"),
], ids=["new-folder", "ignored-file", "changed-notebook"])
def test_a_passing_test_that_writes_into_the_checkout_fails_the_run(tmp_path, body, named):
    done = run_in_checkout(tmp_path, body)
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "the run wrote into the checkout" in done.stdout
    assert f"  {named}" in done.stdout.splitlines()


def test_writing_to_temp_folders_and_caches_passes(tmp_path):
    body = ("    (tmp_path / 'exports').mkdir()\n    (tmp_path / 'exports' / 'x.csv').write_text('a')\n"
            "    Path('__pycache__').mkdir(exist_ok=True)\n    Path('__pycache__/x.pyc').write_bytes(b'')")
    done = run_in_checkout(tmp_path, body)
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    assert "wrote into the checkout" not in done.stdout
