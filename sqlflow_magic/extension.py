"""Registering and unregistering the magics with an IPython shell."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def load(ipython: InteractiveShell) -> None:
    from .magics import SQLFlowMagics

    unload(ipython)  # a second load replaces the first instead of stacking beside it
    ipython.register_magics(SQLFlowMagics(shell=ipython))


def unload(ipython: InteractiveShell) -> None:
    """Remove our magics, our configurable and our registry entry, and close clients and the local server."""
    from .magics import SQLFlowMagics

    manager = ipython.magics_manager
    instance = manager.registry.pop(SQLFlowMagics.__name__, None)
    for kind, names in SQLFlowMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, SQLFlowMagics)]
    if isinstance(instance, SQLFlowMagics):
        instance.close()
