"""Which lineage engine runs (compiled or not, on which sqlglot), as ``serve`` and ``%sqlflow_config`` say it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

#: In a fresh interpreter: the description before sqlglot and the engine are imported (what %sqlflow_config
#: shows) and after, then what the import system actually loaded.
PROBE = """
import importlib.machinery, json, sys
from sqlflow_magic.server.engine_build import engine_build
before = engine_build()
imported_early = sorted(name for name in ("sqlglot", "sqlflow_magic.server.lineage") if name in sys.modules)
import sqlglot, sqlglot.parser
import sqlflow_magic.server.lineage.engine as engine
print(json.dumps({"before": before, "imported_early": imported_early, "after": engine_build(),
                  "version": sqlglot.__version__, "parser_file": sqlglot.parser.__file__,
                  "engine_file": engine.__file__, "suffixes": importlib.machinery.EXTENSION_SUFFIXES}))
"""


def probe(cwd: str | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60,
                          cwd=cwd)
    return json.loads(done.stdout)


def expected(found: dict) -> str:
    def built(name: str) -> bool:
        return found[name].endswith(tuple(found["suffixes"]))

    sqlglot = f"sqlglot {found['version']}, " + ("compiled (sqlglotc)" if built("parser_file") else "interpreted")
    return sqlglot + (", engine compiled (mypyc)" if built("engine_file") else ", engine interpreted")


def test_the_description_is_what_the_import_system_loads():
    found = probe()
    assert (found["before"], found["after"]) == (expected(found), expected(found))
    assert found["imported_early"] == []  # %sqlflow_config stays cheap


def test_the_installed_package_is_described_as_it_loads(tmp_path):
    """Run outside the checkout, the probe sees the package pip installed (compiled by setup.py where it could
    be), not these sources: the description must say which one it is."""
    found = probe(cwd=str(tmp_path))
    assert (found["before"], found["after"]) == (expected(found), expected(found))
