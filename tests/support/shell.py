"""Fixtures for magic tests: an IPython shell with the extension loaded; helpers to run cells and read outputs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

from sqlflow_magic.magic.effective_settings import (
    ENV_DBVENDOR,
    ENV_MAX_ANSWER_BYTES,
    ENV_REQUEST_DEADLINE,
    ENV_SECRET_KEY,
    ENV_TOKEN,
    ENV_URL,
    ENV_USER_ID,
)
from tests.support.users import ALICE, ALICE_SECRET

OUR_VARIABLES = ("sqlflow_job_id", "sqlflow_job", "my_job", "sqlflow_lineage", "frame", "tables")


@dataclass
class CellRun:
    """What one cell did: success or not, stdout, stderr and the rich outputs it displayed."""

    success: bool
    error: BaseException | None
    stdout: str
    stderr: str
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([self.stdout, self.stderr] + [str(o) for o in self.outputs])


class Shell:
    def __init__(self, ip: Any) -> None:
        self.ip = ip

    @property
    def magics(self) -> Any:
        return self.ip.magics_manager.registry["SQLFlowMagics"]

    @property
    def ns(self) -> dict[str, Any]:
        return self.ip.user_ns

    def run(self, source: str, store_history: bool = True) -> CellRun:
        with capture_output() as captured:
            result = self.ip.run_cell(source, store_history=store_history)
        error = result.error_in_exec or result.error_before_exec
        return CellRun(result.success, error, captured.stdout, captured.stderr,
                       [dict(o.data) for o in captured.outputs])


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Shell]:
    """A shell with sqlflow_magic loaded, no SQLFLOW_* env vars, the embedded server's db in tmp_path."""
    for name in (ENV_URL, ENV_USER_ID, ENV_SECRET_KEY, ENV_TOKEN, ENV_DBVENDOR, ENV_REQUEST_DEADLINE,
                 ENV_MAX_ANSWER_BYTES):
        monkeypatch.delenv(name, raising=False)
    ip = start_ipython() or get_ipython()
    ip.config.pop("SQLFlowMagics", None)  # %config writes into the shell's config: start each test clean
    ip.run_line_magic("load_ext", "sqlflow_magic")
    ip.run_line_magic("config", f"SQLFlowMagics.local_server_db = {str(tmp_path / 'embedded.sqlite3')!r}")
    try:
        yield Shell(ip)
    finally:
        ip.run_line_magic("unload_ext", "sqlflow_magic")
        ip.config.pop("SQLFlowMagics", None)
        for name in OUR_VARIABLES:
            ip.user_ns.pop(name, None)


@pytest.fixture
def alice_shell(shell: Shell, local_server: Any, monkeypatch: pytest.MonkeyPatch) -> Shell:
    """The shell configured for Alice on the local server fixture, secret key from the environment."""
    monkeypatch.setenv(ENV_USER_ID, ALICE)
    monkeypatch.setenv(ENV_SECRET_KEY, ALICE_SECRET)
    shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {local_server.url!r}")
    shell.server = local_server  # type: ignore[attr-defined]
    return shell


def widget_by_id(model_id: str) -> Any:
    """The live widget with this model id (ipywidgets 8 keeps them in a module-level registry)."""
    from ipywidgets.widgets.widget import _instances

    return _instances[model_id]
