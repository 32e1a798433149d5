"""The live form of the job panel: an ``anywidget.AnyWidget`` drawn by ``panel.js``.

Imported only when a live panel is shown, so ``%load_ext`` does not load ipywidgets. Refresh sends
``{"event": "refresh"}``; the kernel answers ``{"event": "refreshed"}`` when it is done.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
from traitlets import Bool, Unicode

_HERE = Path(__file__).parent


class JobPanelWidget(anywidget.AnyWidget):
    """One widget for the whole panel: the job's HTML table, a note and a Refresh button."""

    _esm = _HERE / "panel.js"
    _css = _HERE / "panel.css"
    job_html = Unicode("").tag(sync=True)
    note = Unicode("").tag(sync=True)
    refreshable = Bool(False).tag(sync=True)

    def __repr__(self) -> str:
        return "SQLFlow job panel"
