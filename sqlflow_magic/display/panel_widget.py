"""The live form of the job panel: an ``anywidget.AnyWidget`` drawn by ``panel.js``.

Imported only when a live panel is shown, so ``%load_ext`` does not load ipywidgets. Refresh sends
``{"event": "refresh"}``; the kernel answers ``{"event": "refreshed"}`` when it is done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
from traitlets import Bool, TraitType, Undefined, Unicode

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
    """One widget for the whole panel: the job's HTML table, a note and a Refresh button.

    anywidget's own traits (``_esm``, ``_css``, ``_anywidget_id``) are declared here on the class, with the
    values anywidget gives them, so that a panel is an instance of this class itself: see :meth:`add_traits`.
    """

    # Class traits, not plain strings (which anywidget turns into traits of each instance) nor paths
    # (which anywidget reads again for every widget: 0.13 ms a panel).
    _esm = Unicode((_HERE / "panel.js").read_text(encoding="utf-8")).tag(sync=True)
    _css = Unicode((_HERE / "panel.css").read_text(encoding="utf-8")).tag(sync=True)
    _anywidget_id = Unicode(f"{__name__}.JobPanelWidget").tag(sync=True)  # anywidget's "module.ClassName"
    job_html = Unicode("").tag(sync=True)
    note = Unicode("").tag(sync=True)
    refreshable = Bool(False).tag(sync=True)

    def __init__(self, **state: Any) -> None:
        super().__init__(layout=shared_layout(), **state)

    def add_traits(self, **traits: TraitType[Any, Any]) -> None:
        """Add only the traits this class does not declare already; give the others the value asked for.

        ``AnyWidget.__init__`` adds ``_anywidget_id`` to every widget with ``add_traits``, and traitlets'
        ``add_traits`` makes a new class for the instance each time: with it a panel's widget took 0.41 ms
        in an ``InteractiveShell``, without it 0.12 ms
        (``docs/performance.md#the-panels-widget-without-a-class-per-panel-2026-12-07``). A trait of the
        same type and metadata that the class already has needs no new class: its value is set instead,
        so the widget's state is what anywidget meant it to be. Any other trait is added as ipywidgets
        and traitlets add it.
        """
        new: dict[str, TraitType[Any, Any]] = {}
        for name, trait in traits.items():
            # a trait read on the class is its descriptor (cheaper than self.traits(), which walks every member)
            mine, value = getattr(type(self), name, None), trait.default()
            same = isinstance(mine, TraitType) and type(mine) is type(trait) and mine.metadata == trait.metadata
            if same and value is not Undefined:
                self.set_trait(name, value)
            else:
                new[name] = trait
        if new:
            super().add_traits(**new)

    def __repr__(self) -> str:
        return "SQLFlow job panel"
