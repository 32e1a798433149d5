"""Which lineage engine runs: the sqlglot it parses with (its version, compiled or interpreted) and whether
the engine itself is compiled.

Both are compiled the same way, by mypyc: ``sqlglotc`` ships no module of its own, its wheel puts
extension modules (``sqlglot/parser.cpython-311-x86_64-linux-gnu.so`` and so on) beside sqlglot's
``.py`` files; this package's build (``setup.py``) puts the engine's beside its own. Python's import
system prefers an extension module to a source file of the same name, so a module is compiled exactly
when the file it is (or will be) loaded from has one of :data:`importlib.machinery.EXTENSION_SUFFIXES`.
:func:`engine_build` answers that without importing sqlglot or the engine (``%sqlflow_config`` must
stay cheap): for a module already imported it reads the module's own ``__file__``; before, it asks
:class:`importlib.machinery.PathFinder` which file the import would load. The analysis processes run
the same interpreter on the same installation, so they load the same files.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import sys

#: The module whose build is reported for sqlglot: the parser is where compiled sqlglot gains most.
PROBE_MODULE = "sqlglot.parser"
#: The module whose build is reported for the engine (the build compiles all of ``server/lineage`` or none).
ENGINE_MODULE = "sqlflow_magic.server.lineage.engine"


def engine_build() -> str:
    """One line for people: ``sqlglot 30.30.0, compiled (sqlglotc), engine compiled (mypyc)``, or
    ``sqlglot 30.31.0, interpreted, engine interpreted``.

    Never raises; a broken installation is named (``sqlglot is not installed``, or a ``sqlglotc`` built
    for another sqlglot version, which pip allows when one of the two is upgraded alone).
    """
    engine = "engine compiled (mypyc)" if is_compiled(ENGINE_MODULE) else "engine interpreted"
    return f"{sqlglot_build()}, {engine}"


def sqlglot_build() -> str:
    """The sqlglot part of :func:`engine_build`: ``sqlglot 30.30.0, compiled (sqlglotc)`` and the like."""
    version = _version("sqlglot")
    if version is None:
        return "sqlglot is not installed"
    if not is_compiled(PROBE_MODULE):
        return f"sqlglot {version}, interpreted"
    compiled_for = _version("sqlglotc")
    if compiled_for is not None and compiled_for != version:
        return (f"sqlglot {version}, compiled (sqlglotc {compiled_for}, built for another sqlglot version: "
                f"pip install 'sqlglot=={compiled_for}', or pip uninstall sqlglotc)")
    return f"sqlglot {version}, compiled (sqlglotc)"


def is_compiled(module: str) -> bool:
    """Whether ``module`` (a submodule, ``package.name``) is, or once imported will be, an extension module."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
    else:
        package_name, _, _ = module.rpartition(".")
        try:  # the parent packages are imported to find it, never the module itself
            package = importlib.util.find_spec(package_name)
        except ImportError:
            return False
        if package is None or not package.submodule_search_locations:
            return False
        spec = importlib.machinery.PathFinder.find_spec(module, list(package.submodule_search_locations))
        origin = spec.origin if spec is not None else None
    return bool(origin) and str(origin).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
