"""The live form of the job panel: an ``anywidget.AnyWidget`` drawn by ``panel.js``.

Imported only when a live panel is shown, so ``%load_ext`` does not load ipywidgets. Refresh sends
``{"event": "refresh"}``; the kernel answers ``{"event": "refreshed"}`` when it is done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
from traitlets import Bool, Unicode

_HERE = Path(__file__).parent
_LAYOUTS: list[ipywidgets.Layout] = []


def shared_layout() -> ipywidgets.Layout:
    """The one default ``Layout`` model of every panel (ipywidgets lets widgets share a layout).

    A layout of its own is a widget model more per panel, a third of its cost:
    ``benchmarks/submit_overhead.py`` measures the submit both ways. A new one is made if
    ``Widget.close_all()`` closed it.
    """
    if not _LAYOUTS or _LAYOUTS[0].comm is None:
        _LAYOUTS[:] = [ipywidgets.Layout()]
    return _LAYOUTS[0]


class JobPanelWidget(anywidget.AnyWidget):
    """One widget for the whole panel: the job's HTML table, a note and a Refresh button."""

    # anywidget also takes paths, but reads a path's text again for every widget (0.13 ms a panel)
    _esm = (_HERE / "panel.js").read_text(encoding="utf-8")
    _css = (_HERE / "panel.css").read_text(encoding="utf-8")
    job_html = Unicode("").tag(sync=True)
    note = Unicode("").tag(sync=True)
    refreshable = Bool(False).tag(sync=True)

    def __init__(self, **state: Any) -> None:
        super().__init__(layout=shared_layout(), **state)

    def __repr__(self) -> str:
        return "SQLFlow job panel"
