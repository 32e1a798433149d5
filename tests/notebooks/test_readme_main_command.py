"""README.md's main command, word for word (less its ``pip install``, done by the test command): it
executes the quickstart into an HTML page whose path it prints, on a throw-away job database.

The page holds the job panels and the lineage picture as static HTML (no widget state, so nothing for
nbconvert to fetch a widget manager for); the jobs database sits next to the page, and none is made in
the user's data folder (``$HOME`` and ``$XDG_DATA_HOME`` point into the test's temp dir).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]
INSTALL = re.compile(r"^python3 -m pip install '[^']*' && ")
WRITING = re.compile(r"Writing \d+ bytes to (\S+\.html)\s*$")


def readme_command(marker: str) -> str:
    """The bash block after ``<!-- marker -->`` in README.md, as .ci/run reads it."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- {marker} -->")
    assert lines[start + 1] == "```bash", f"README.md: no bash block after <!-- {marker} -->"
    block = lines[start + 2:lines.index("```", start + 2)]
    return "\n".join(block)


def test_main_command_prints_the_page_of_the_executed_quickstart_and_leaves_no_jobs_behind(tmp_path):
    command = readme_command("main-command")
    assert INSTALL.match(command), f"the main command no longer starts with its pip install: {command!r}"
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "TMPDIR": str(temp)}
    env.pop("SQLFLOW_LOCAL_SERVER_DB", None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", INSTALL.sub("", command)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the main command failed:\n{done.stdout}\n{done.stderr}"
    last = (done.stdout + done.stderr).strip().splitlines()[-1]
    printed = WRITING.search(last)
    assert printed, f"the main command's last line names no HTML page: {last!r}"
    page = Path(printed.group(1))
    assert page.is_file() and page.is_relative_to(temp), page
    html = page.read_text(encoding="utf-8")
    assert html.count('<div class="sqlflow-job"') == 3, "the quickstart's three job panels"
    assert html.count('class="sqlflow-lineage-picture"') == 1, "the finished job's lineage picture"
    assert "widget-state+json" not in html and "widget-view+json" not in html, "widgets in a static page"
    assert sorted(p.name for p in page.parent.glob("jobs.sqlite3*"))[:1] == ["jobs.sqlite3"]
    assert not list(home.rglob("*.sqlite3")), "jobs written to the user's own database"
