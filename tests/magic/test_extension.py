"""Loading, unloading and reloading the extension; importing the package stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.server

MAGICS = {"line": {"sqlflow_submit", "sqlflow_config", "sqlflow_login"}, "cell": {"sqlflow_submit"}}


def registered(ip):
    return {kind: set(ip.magics_manager.magics[kind]) & MAGICS[kind] for kind in MAGICS}


def our_configurables(ip):
    return [c for c in ip.configurables if type(c).__name__ == "SQLFlowMagics"]


def test_load_registers_and_unload_removes(shell):
    ip = shell.ip
    assert registered(ip) == MAGICS
    assert len(our_configurables(ip)) == 1
    ip.run_line_magic("unload_ext", "sqlflow_magic")
    assert registered(ip) == {"line": set(), "cell": set()}
    assert our_configurables(ip) == [] and "SQLFlowMagics" not in ip.magics_manager.registry
    run = shell.run("%%sqlflow_submit\nselect 1")
    assert not run.success and "not found" in run.stderr
    ip.run_line_magic("load_ext", "sqlflow_magic")


def test_reload_leaves_no_duplicates_and_stops_the_old_server(shell):
    ip = shell.ip
    assert shell.run("%%sqlflow_submit\nselect 1").success
    old = shell.magics
    old_server = old.connections._server
    assert old_server is not None and old_server.running
    ip.run_line_magic("reload_ext", "sqlflow_magic")
    assert shell.magics is not old and len(our_configurables(ip)) == 1
    assert not old_server.running
    assert registered(ip) == MAGICS
    job_id = shell.ns["sqlflow_job_id"]
    assert shell.run("%%sqlflow_submit -j $sqlflow_job_id\nselect 2").success  # the jobs survived on disk
    assert shell.ns["sqlflow_job"].job_id == job_id and len(shell.ns["sqlflow_job"].file_names) == 2


def test_loading_twice_keeps_one_instance(shell):
    shell.ip.run_line_magic("load_ext", "sqlflow_magic")
    shell.magics.close()
    from sqlflow_magic.magic.extension import load

    load(shell.ip)
    assert len(our_configurables(shell.ip)) == 1


def test_import_is_cheap():
    code = ("import sys, sqlflow_magic; heavy = {'httpx', 'ipywidgets', 'IPython', 'starlette', 'uvicorn', "
            "'sqlglot', 'jwt'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_ext_leaves_http_and_widgets_for_the_first_submit():
    code = ("import sys; from IPython.core.interactiveshell import InteractiveShell; "
            "InteractiveShell.instance().run_line_magic('load_ext', 'sqlflow_magic'); "
            "print(sorted({'httpx', 'ipywidgets', 'anywidget', 'starlette', 'sqlglot'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_client_library_does_not_import_ipython():
    code = "import sys, sqlflow_magic.client; print('IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
