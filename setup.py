"""The build: the lineage engine compiled by mypyc where it can be, pure Python everywhere else.

Everything about the package is declared in ``pyproject.toml``; this file only adds the engine's
extension modules. ``sqlflow_magic/server/lineage`` (the engine, about 5,600 lines of typed Python)
takes 13 to 17 % less time compiled on the corpus of ``benchmarks/lineage_throughput.py``, on top of
sqlglot compiled by ``sqlglotc`` the same way (docs/dependencies.md, "The engine compiled").

``SQLFLOW_MAGIC_COMPILE`` chooses:

- unset (the default): compile on CPython when building a wheel (``pip install .``); if the C
  compiler fails (none installed, no Python headers), warn and install the same modules as pure
  Python. pip shows a build's warnings only with ``-v``: ``sqlflow-magic serve`` and
  ``%sqlflow_config`` say which engine was installed. Editable installs (``pip install -e .``) stay
  pure, so that an edit is never shadowed by a compiled module built from the code before it.
- ``0``: pure Python.
- ``1``: compile, and fail the build if compiling fails (wheels only).
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

#: The package compiled; its ``__init__`` modules stay Python (the engine's resolves names on first use).
COMPILED_PACKAGE = Path("sqlflow_magic", "server", "lineage")
#: mypyc's optimisation level for the C compiler, and its debug information: the engine ran the corpus as fast
#: with -O1 as with -O2 (docs/dependencies.md), and gcc takes 24 s for it against 36 s.
OPT_LEVEL, DEBUG_LEVEL = "1", "0"


def _choice() -> str:
    value = os.environ.get("SQLFLOW_MAGIC_COMPILE", "").strip()
    if value not in ("", "0", "1"):
        sys.exit(f"SQLFLOW_MAGIC_COMPILE={value!r}: use 1 (compile the engine), 0 (pure Python), or leave it unset")
    return value


def _editable() -> bool:
    return any(command in sys.argv for command in ("editable_wheel", "develop"))


class CompilingBuildExt(build_ext):
    """build_ext that compiles the engine with mypyc in a build only (pip runs this file three times per build,
    twice for metadata, which need no C), falling back to pure Python."""

    def finalize_options(self) -> None:
        # only for a build: the metadata steps finalize this command too (for the list of sources)
        building = not BUILDING.isdisjoint(self.distribution.commands)
        if building and self.distribution.ext_modules == [PLACEHOLDER]:
            self.distribution.ext_modules = _compiled_modules()
        # always compile: objects a build left in the checkout's build/ would otherwise be reused, whatever
        # compiler or SQLFLOW_MAGIC_COMPILE this build was given
        self.force = True
        super().finalize_options()

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # CompileError, LinkError, a missing compiler: setuptools raises several kinds
            compiler = os.environ.get("CC", "the C compiler")
            if _choice() == "1":
                raise SystemExit(f"SQLFLOW_MAGIC_COMPILE=1: compiling the lineage engine failed ({type(exc).__name__} "
                                 f"from {compiler}); unset it to install the engine as pure Python") from exc
            _warn(f"{type(exc).__name__} from {compiler}")
            for extension in self.extensions:  # what was built before the failure: the engine is all or nothing
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            self.extensions = self.distribution.ext_modules = []


def _compiling() -> bool:
    choice = _choice()
    if choice == "1" and _editable():
        sys.exit("SQLFLOW_MAGIC_COMPILE=1 builds wheels (pip install .), not editable installs: the compiled modules "
                 "would shadow later edits of the sources")
    return choice == "1" or (choice == "" and not _editable() and platform.python_implementation() == "CPython")


def _warn(why: str) -> None:
    print(f"warning: the lineage engine was not compiled ({why}): it runs as pure Python, the same answers, "
          "slower. Install a C compiler and Python's headers, or set SQLFLOW_MAGIC_COMPILE=0 not to try. "
          "`sqlflow-magic serve` says which engine runs.", file=sys.stderr)


def _compiled_modules() -> list[Extension]:
    """The engine's modules as mypyc's extensions; none if mypyc fails in the default mode."""
    choice = _choice()
    try:
        from mypyc.build import mypycify
    except ImportError:  # a build without isolation, in an environment without mypy
        if choice == "1":
            raise
        _warn("no mypyc: pip install mypy, or build with pip's build isolation")
        return []
    modules = sorted(str(path) for path in COMPILED_PACKAGE.rglob("*.py") if path.name != "__init__.py")
    # mypy's own options, not pyproject.toml's (which checks the whole package). Imports are not followed:
    # sqlglot's types count as Any in the compiled code, which ran the corpus within 1 % of following them,
    # and mypyc's part of the build takes 3.5 s instead of 31 s (docs/dependencies.md, "The engine compiled")
    options = ["--config-file", "", "--python-version", f"{sys.version_info[0]}.{sys.version_info[1]}",
               "--follow-imports", "skip", "--ignore-missing-imports"]
    try:
        return list(mypycify([*options, *modules], opt_level=OPT_LEVEL, debug_level=DEBUG_LEVEL))
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error: a newer mypy may be stricter than ours
        if choice == "1":
            raise
        _warn(f"mypyc: {exc!r}")
        return []


#: The commands that build (pip's wheel builds run bdist_wheel), as opposed to its metadata steps (egg_info, dist_info).
BUILDING = frozenset({"bdist_wheel", "build", "build_ext", "install"})
#: A stand-in until build_ext runs: it makes the wheel one for this platform and Python, and build_ext run.
PLACEHOLDER = Extension("sqlflow_magic.server.lineage.__compiled__", sources=[])

setup(ext_modules=[PLACEHOLDER] if _compiling() else [], cmdclass={"build_ext": CompilingBuildExt})
