"""Registering and unregistering the magics with an IPython shell."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def load(ipython: InteractiveShell) -> None:
    from .job_magics import SQLFlowJobMagics
    from .magics import SQLFlowMagics

    unload(ipython)  # a second load replaces the first instead of stacking beside it
    magics = SQLFlowMagics(shell=ipython)
    ipython.register_magics(magics)
    ipython.register_magics(SQLFlowJobMagics(ipython, magics))


def unload(ipython: InteractiveShell) -> None:
    """Remove our magics, our configurable and our registry entry, and close clients and the local server."""
    from .job_magics import SQLFlowJobMagics
    from .magics import SQLFlowMagics

    manager = ipython.magics_manager
    instance = manager.registry.pop(SQLFlowMagics.__name__, None)
    manager.registry.pop(SQLFlowJobMagics.__name__, None)
    for magics_class in (SQLFlowMagics, SQLFlowJobMagics):
        for kind, names in magics_class.magics.items():
            for name in names:
                manager.magics[kind].pop(name, None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, SQLFlowMagics)]
    if isinstance(instance, SQLFlowMagics):
        instance.close()
