"""Which sqlglot the lineage engine runs on: its version, and whether compiled (``sqlglotc``) or interpreted.

``sqlglotc`` ships no module of its own: its wheel puts mypyc-compiled extension modules
(``sqlglot/parser.cpython-311-x86_64-linux-gnu.so`` and so on) beside sqlglot's ``.py`` files, and
Python's import system prefers an extension module to a source file of the same name. So the parser
in use is compiled exactly when the file ``sqlglot.parser`` is loaded from has one of
:data:`importlib.machinery.EXTENSION_SUFFIXES`. :func:`sqlglot_build` answers that without importing
sqlglot (``%sqlflow_config`` must stay cheap): once ``sqlglot.parser`` is imported it reads the module's
own ``__file__``; before, it asks :class:`importlib.machinery.PathFinder` which file the import would load.
The analysis processes run the same interpreter on the same installation, so they load the same files.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import sys

#: The module whose build is reported: the parser is where compiled sqlglot gains most.
PROBE_MODULE = "sqlglot.parser"


def sqlglot_build() -> str:
    """One line for people: ``sqlglot 30.30.0, compiled (sqlglotc)`` or ``sqlglot 30.31.0, interpreted``.

    Never raises; a broken installation is named (``sqlglot is not installed``, or a ``sqlglotc`` built
    for another sqlglot version, which pip allows when one of the two is upgraded alone).
    """
    version = _version("sqlglot")
    if version is None:
        return "sqlglot is not installed"
    if not parser_is_compiled():
        return f"sqlglot {version}, interpreted"
    compiled_for = _version("sqlglotc")
    if compiled_for is not None and compiled_for != version:
        return (f"sqlglot {version}, compiled (sqlglotc {compiled_for}, built for another sqlglot version: "
                f"pip install 'sqlglot=={compiled_for}', or pip uninstall sqlglotc)")
    return f"sqlglot {version}, compiled (sqlglotc)"


def parser_is_compiled() -> bool:
    """Whether sqlglot's parser is (or, once imported, will be) a compiled extension module."""
    loaded = sys.modules.get(PROBE_MODULE)
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
    else:
        package = importlib.util.find_spec("sqlglot")  # a top-level name: found without being imported
        if package is None or not package.submodule_search_locations:
            return False
        spec = importlib.machinery.PathFinder.find_spec(PROBE_MODULE, list(package.submodule_search_locations))
        origin = spec.origin if spec is not None else None
    return bool(origin) and str(origin).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
