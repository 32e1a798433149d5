"""sqlflow-magic: send the SQL of a notebook cell to Gudu SQLFlow and see the job and its lineage.

``%load_ext sqlflow_magic`` registers the magics; ``%%sqlflow_submit?`` shows their help.
Importing this package is cheap: IPython, httpx and ipywidgets load when the extension does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Called by ``%load_ext sqlflow_magic``."""
    from .magic.extension import load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Called by ``%unload_ext sqlflow_magic`` (and ``%reload_ext``)."""
    from .magic.extension import unload

    unload(ipython)
