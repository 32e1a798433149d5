"""The job panel: a live widget with a Refresh button while the job runs, a static form once it is final.

While a job runs, a kernel front end (JupyterLab, Notebook 7, VS Code) shows one widget drawn by
anywidget's front end (``panel.js``): the job's table, a note (progress, a refresh's outcome) and a
Refresh button; its values change in place. When the job reaches a final status the display is
replaced (``update_display``) by its static form: the table, the note and, for a finished job, the
lineage picture, as HTML and text. That form is what a notebook saves, and every front end shows it
without a kernel: JupyterLab and Notebook 7 trusted or not, nbconvert, VS Code, GitHub, a terminal
(``docs/saved-outputs.md`` explains the choice). Without a kernel front end (terminal IPython, or
``SQLFlowMagics.live_panels = False``) there is no widget: the panel is printed once. When a panel
learns that its job is final, the live panels of the same job in earlier cells take their static form
too (their note says so; the picture stays with the cell that learnt it).

Everything a panel shows, in its widget's state as in its static form, goes through its ``scrub`` (the
client's :class:`~sqlflow_magic.client.scrubbing.Scrubber`): the server wrote most of it.
"""

from __future__ import annotations

import importlib.util
import time
import weakref
from collections.abc import Callable
from typing import Any

from IPython.display import display

from ..client.errors import SQLFlowError
from ..client.models import Job
from ..client.scrubbing import Scrubber
from ..protocol import LINEAGE_STATUSES
from .render import ServerInfo, job_html, job_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widgets_available() -> bool:
    return importlib.util.find_spec("anywidget") is not None and importlib.util.find_spec("ipywidgets") is not None


#: The live panels of each job. When one panel learns that its job is final, the others (earlier cells
#: that showed the same job) take the same static form: a panel is a view of its job, and a live panel
#: left in a saved notebook cannot be drawn without its kernel (docs/saved-outputs.md).
_LIVE_PANELS: dict[str, weakref.WeakSet[JobPanel]] = {}


class JobPanel:
    """Shows one job and, once it is done, its table-level lineage.

    ``fetch_job(job_id)`` is called by Refresh; ``fetch_lineage(job_id)`` (lineage JSON) when the job
    has reached ``success`` or ``partial_success``. Both are optional. ``live``: show a widget while the
    job runs (a kernel front end). ``scrub`` masks secrets in every text the panel shows (default: credential
    patterns only).
    """

    def __init__(self, job: Job, server: ServerInfo, fetch_job: Callable[[str], Job] | None = None,
                 *, fetch_lineage: Callable[[str], dict[str, Any]] | None = None, live: bool = False,
                 clock: Callable[[], str] = lambda: time.strftime("%H:%M:%S"),
                 scrub: Callable[[str], str] | None = None) -> None:
        self.job = job
        self.server = server
        self.note = ""
        self.lineage: Any = None
        self.handle: Any = None
        self.live = live and widgets_available()
        self._fetch_job = fetch_job
        self._fetch_lineage = fetch_lineage
        self._clock = clock
        self._scrub = scrub or Scrubber()  # without a client's secrets, it still masks credential patterns
        self._widget: Any = None
        self._finished = False

    def __repr__(self) -> str:
        return self._scrub(job_text(self.job, self.server, self.note))

    @property
    def widget(self) -> Any:
        """The live widget (built on first use) while the job runs; None once it is final, or when not live."""
        if self._widget is None and self.live and not self._finished:
            from .panel_widget import JobPanelWidget

            self._widget = JobPanelWidget(job_html=self._scrub(job_html(self.job, self.server)), note=self.note,
                                          refreshable=self._fetch_job is not None)
            self._widget.on_msg(self._on_message)
        return self._widget

    def _on_message(self, widget: Any, content: Any, buffers: object) -> None:
        if isinstance(content, dict) and content.get("event") == "refresh":
            try:
                self.refresh()
            finally:
                if widget.comm is not None:  # finished: the static form took the widget's place
                    widget.send({"event": "refreshed"})

    def show(self, *, following: bool = False) -> None:
        """Display the panel: its static form if the job is final; else the live widget, or (not live) the
        static form now unless the job is being ``following`` (then :meth:`finish` shows it once, at the end)."""
        if self.job.is_final:
            self.set_note(self.note or f"Status as of {self._clock()}.")
            self.finish()
        elif self.live:
            self.handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
            _LIVE_PANELS.setdefault(self.job.job_id, weakref.WeakSet()).add(self)
        elif not following:
            display(self._repr_mimebundle_(), raw=True)

    def refresh(self) -> None:
        """Fetch the job again and show it in place, saying when it was checked; a failure goes in the note."""
        if self._fetch_job is None or self._finished:
            return
        try:
            job = self._fetch_job(self.job.job_id)
        except SQLFlowError as exc:
            self.set_note(f"Refresh failed at {self._clock()}: {exc}")
            return
        self.update(job, f"Checked at {self._clock()}: {job.status}.")
        if job.is_final:
            self.finish()

    def update(self, job: Job, note: str = "") -> None:
        """Show ``job`` (and an optional note) in place of the current state (widget values only)."""
        self.job = job
        self.set_note(note)
        if self._widget is not None:
            self._widget.job_html = self._scrub(job_html(self.job, self.server))

    def set_note(self, note: str) -> None:
        self.note = note = self._scrub(note)
        if self._widget is not None:
            self._widget.note = note

    def finish(self) -> None:
        """Stop showing the job live: add its lineage picture if it finished, and put the static form in
        place of the widget (not live: display it, once)."""
        if self.job.status in LINEAGE_STATUSES and self.lineage is None and self._fetch_lineage is not None:
            try:
                self.attach_lineage(self._fetch_lineage(self.job.job_id))
            except SQLFlowError as exc:
                self.set_note(f"Could not get the lineage: {exc}")
        self._show_static()
        if self.job.is_final:
            for other in list(_LIVE_PANELS.pop(self.job.job_id, ())):
                if other is not self and not other._finished:
                    other._take_final_state(self.job)

    def _show_static(self) -> None:
        self._finished = True
        bundle = self._repr_mimebundle_()
        if self.handle is not None:
            self.handle.update(bundle, raw=True)
        else:
            self.handle = display(bundle, raw=True, display_id=True)
        if self._widget is not None:
            self._widget.close()
            self._widget = None

    def _take_final_state(self, job: Job) -> None:
        """Show the final state of the job that a later cell learnt (the lineage picture is shown there)."""
        self.job = job
        where = " Its lineage is shown there." if job.status in LINEAGE_STATUSES else ""
        self.set_note(f"Checked at {self._clock()} by a later cell: {job.status}.{where}")
        self._show_static()

    def attach_lineage(self, lineage_json: dict[str, Any]) -> None:
        from .lineage_view import LineageView

        self.lineage = LineageView(lineage_json)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        """The static form (HTML and text), with the live widget's view while the job runs."""
        html = job_html(self.job, self.server, self.note)
        text = job_text(self.job, self.server, self.note)
        if self.lineage is not None:
            html += self.lineage.html()
            text += "\n\n" + self.lineage.text()
        bundle: dict[str, Any] = {"text/plain": self._scrub(text), "text/html": self._scrub(html)}
        widget = None if self.job.is_final or self._finished else self.widget
        if widget is not None:
            mime = widget._repr_mimebundle_()  # IPython's display protocol: data, or (data, metadata)
            data = mime[0] if isinstance(mime, tuple) else mime
            if data and WIDGET_VIEW in data:
                bundle[WIDGET_VIEW] = data[WIDGET_VIEW]
        return bundle
