"""Which sqlglot the lineage engine runs on, as ``serve`` and ``%sqlflow_config`` say it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

#: In a fresh interpreter: the description before sqlglot is imported (what %sqlflow_config shows) and
#: after, then what the import system actually loaded.
PROBE = """
import importlib.machinery, json, sys
from sqlflow_magic.server.sqlglot_build import sqlglot_build
before = sqlglot_build()
imported_early = "sqlglot" in sys.modules
import sqlglot, sqlglot.parser
print(json.dumps({"before": before, "imported_early": imported_early, "after": sqlglot_build(),
                  "version": sqlglot.__version__, "parser_file": sqlglot.parser.__file__,
                  "suffixes": importlib.machinery.EXTENSION_SUFFIXES}))
"""


def test_the_description_is_what_the_import_system_loads():
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                                      timeout=60).stdout)
    compiled = found["parser_file"].endswith(tuple(found["suffixes"]))
    expected = f"sqlglot {found['version']}, " + ("compiled (sqlglotc)" if compiled else "interpreted")
    assert (found["before"], found["after"]) == (expected, expected)
    assert not found["imported_early"]  # %sqlflow_config stays cheap
