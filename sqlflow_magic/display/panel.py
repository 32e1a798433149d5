"""The job panel: a live ipywidgets panel with a Refresh button, plus HTML and text fallbacks.

The panel carries all its forms in one display (``_repr_mimebundle_``), so JupyterLab shows the
widget while nbconvert, GitHub and terminal IPython show a readable summary. Without ipywidgets
installed, only the HTML and text forms are produced. While a job is followed the widget's values
change in place; the static forms are re-published (``update_display``) only when something final
happened, so the saved notebook shows the last state.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from html import escape
from typing import Any

from ..errors import SQLFlowError
from ..models import Job
from .render import ServerInfo, job_html, job_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LINEAGE_STATUSES = frozenset({"success", "partial_success"})


def widgets_available() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


@functools.cache
def _panel_box_class() -> type:
    """``ipywidgets.VBox`` with a short ``repr``: ipywidgets' ``_repr_mimebundle_`` builds the repr of
    the whole widget tree for a text form that the panel replaces with its own, and that repr was a
    third of the panel's cost. The front end still sees a plain VBox."""
    import ipywidgets as widgets

    class PanelBox(widgets.VBox):
        def __repr__(self) -> str:
            return "SQLFlow job panel"

    return PanelBox


class JobPanel:
    """Shows one job and, once it is done, its table-level lineage.

    ``fetch_job(job_id)`` is called by Refresh; ``fetch_lineage(job_id)`` (lineage JSON) when the job
    has reached ``success`` or ``partial_success``. Both are optional.
    """

    def __init__(self, job: Job, server: ServerInfo, fetch_job: Callable[[str], Job] | None = None,
                 *, fetch_lineage: Callable[[str], dict[str, Any]] | None = None,
                 use_widgets: bool | None = None) -> None:
        self.job = job
        self.server = server
        self.note = ""
        self.lineage: Any = None
        self.handle: Any = None
        self._fetch_job = fetch_job
        self._fetch_lineage = fetch_lineage
        self._use_widgets = widgets_available() if use_widgets is None else use_widgets
        self._widget: Any = None
        self._job_view: Any = None
        self._note_view: Any = None

    def __repr__(self) -> str:
        return job_text(self.job, self.server, self.note)

    @property
    def widget(self) -> Any:
        """The ipywidgets ``VBox`` (built on first use), or None without ipywidgets."""
        if self._widget is None and self._use_widgets:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        # Every widget of the panel keeps the default layout, so they share one Layout (and the two
        # HTML widgets one style): each widget left to make its own costs a model more, built,
        # serialised and sent to the front end (13 models a panel instead of 8).
        layout = widgets.Layout()
        self._job_view = widgets.HTML(value=job_html(self.job, self.server), layout=layout)
        self._note_view = widgets.HTML(value=self._note_html(), layout=layout, style=self._job_view.style)
        children = [self._job_view]
        if self._fetch_job is not None:
            button = widgets.Button(description="Refresh", icon="refresh",
                                    tooltip="Ask SQLFlow for this job's latest status", layout=layout)
            button.add_class("sqlflow-refresh")
            button.on_click(lambda _button: self.refresh())
            children.append(widgets.HBox([button, self._note_view], layout=layout))
        else:
            children.append(self._note_view)
        if self.lineage is not None and self.lineage.widget is not None:
            children.append(self.lineage.widget)
        box = _panel_box_class()(children, layout=layout)
        box.add_class("sqlflow-panel")
        return box

    def refresh(self) -> None:
        """Fetch the job again and update the panel in place; a failure is shown in the panel."""
        if self._fetch_job is None:
            return
        try:
            job = self._fetch_job(self.job.job_id)
        except SQLFlowError as exc:
            self.set_note(f"Refresh failed: {exc}")
            return
        self.update(job)
        self.finish()

    def update(self, job: Job, note: str = "") -> None:
        """Show ``job`` (and an optional note) in place of the current state (widget values only)."""
        self.job = job
        self.set_note(note)
        if self._job_view is not None:
            self._job_view.value = job_html(job, self.server)

    def set_note(self, note: str) -> None:
        self.note = note
        if self._note_view is not None:
            self._note_view.value = self._note_html()

    def _note_html(self) -> str:
        return f'<span class="sqlflow-note">{escape(self.note)}</span>' if self.note else ""

    def finish(self) -> None:
        """Add the lineage picture once the job is done, and re-publish the static forms."""
        if self.job.status in LINEAGE_STATUSES and self.lineage is None and self._fetch_lineage is not None:
            try:
                self.attach_lineage(self._fetch_lineage(self.job.job_id))
            except SQLFlowError as exc:
                self.set_note(f"Could not get the lineage: {exc}")
        if self.handle is not None:
            self.handle.update(self)

    def attach_lineage(self, lineage_json: dict[str, Any]) -> None:
        from .lineage_view import LineageView

        self.lineage = LineageView(lineage_json, use_widgets=self._use_widgets)
        if self._widget is not None and self.lineage.widget is not None:
            self._widget.children = (*self._widget.children, self.lineage.widget)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        html = job_html(self.job, self.server, self.note)
        text = job_text(self.job, self.server, self.note)
        bundle: dict[str, Any] = {}
        if self.lineage is not None:
            html += self.lineage.html()
            text += "\n\n" + self.lineage.text()
            bundle["image/svg+xml"] = self.lineage.svg()
        bundle.update({"text/plain": text, "text/html": html})
        widget = self.widget
        if widget is not None:
            view = widget._repr_mimebundle_()
            if view and WIDGET_VIEW in view:
                bundle[WIDGET_VIEW] = view[WIDGET_VIEW]
        return bundle
