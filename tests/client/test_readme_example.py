"""The README's client example runs as written, against a real local server."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from sqlflow_magic.server import EmbeddedServer
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.server

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_client_example_of_the_readme_submits_a_job(
    local_server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = re.search(r"<!-- client-example -->\n```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert example, "README.md lost its client example"
    monkeypatch.setenv("SQLFLOW_URL", local_server.url)
    monkeypatch.setenv("SQLFLOW_USER_ID", ALICE)
    monkeypatch.setenv("SQLFLOW_SECRET_KEY", ALICE_SECRET)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example.group(1), "README.md", "exec"), {})
    assert printed.getvalue().split() == ["success", "200"]  # waited for, and its lineage fetched
