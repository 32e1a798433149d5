"""The explorer widget: ``LineageExplorer``, an ``anywidget.AnyWidget`` whose front end is ``js/``.

Python owns the data and the layout (:mod:`.scene`), the front end draws and handles what needs no
round trip (``docs/explorer.md`` has the contract). Messages from the front end change the scene
(``expand``, ``collapse``, ``expand_all``, ``neighbourhood``, ``summary``, ``options``) or are answered
(``sql``). Its display carries the static picture (:class:`~sqlflow_magic.display.lineage_view.LineageView`)
beside the widget view, so a front end without the kernel's widgets shows that instead.

>>> from sqlflow_magic.display.explorer import LineageExplorer
>>> LineageExplorer(lineage_json, sql={"load.sql": open("load.sql").read()})   # in a notebook: the explorer
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
from traitlets import Dict

from ...lineage_json.shapes import read_payload
from ..lineage_view import LineageView
from ..panel_widget import shared_layout
from .scene import MAX_EXPLORER_TABLES, ExplorerScene
from .sql_text import file_name, statement_text

_HERE = Path(__file__).parent
_EVENTS = ("expand", "collapse", "expand_all", "neighbourhood", "summary", "options", "sql")


def front_end() -> str:
    """The front end's module: the files of ``js/`` joined in the order ``js/ORDER`` lists them."""
    names = [line.strip() for line in (_HERE / "js" / "ORDER").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return "\n".join((_HERE / "js" / name).read_text(encoding="utf-8") for name in names)


class LineageExplorer(anywidget.AnyWidget):
    """Explore SQLFlow lineage JSON (any generation, a job export or a generation answer).

    ``sql``: the text of the job's SQL (one file's text, or file name -> text) for the SQL behind an edge
    (``%sqlflow_lineage --show`` passes what this kernel submitted for the job); ``job_id`` (default: the
    answer's ``jobId``) names the job in what the explorer says. ``max_tables``: past this many tables the
    explorer starts from a summary.
    """

    _esm = front_end()
    _css = (_HERE / "explorer.css").read_text(encoding="utf-8")
    scene = Dict().tag(sync=True)
    options = Dict().tag(sync=True)

    def __init__(self, lineage_json: Any, *, title: str = "SQLFlow lineage", max_tables: int = MAX_EXPLORER_TABLES,
                 sql: str | Mapping[str, str] | None = None, job_id: str | None = None) -> None:
        if not isinstance(max_tables, int) or max_tables < 1:
            raise ValueError(f"max_tables must be a positive number of tables, not {max_tables!r}")
        try:
            payload = read_payload(lineage_json)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"LineageExplorer needs SQLFlow lineage JSON (a dict or JSON text): {exc}") from None
        if isinstance(lineage_json, dict) and job_id is None and isinstance(lineage_json.get("jobId"), str):
            job_id = lineage_json["jobId"]
        self.job_id = job_id
        if isinstance(sql, str):
            sql = {"query.sql": sql}
        self.files: dict[str, str] = dict(sql) if sql is not None else {}
        self.model = ExplorerScene(payload, max_tables=max_tables, file_of=lambda h: file_name(self.files, h))
        self.static = LineageView(self.model.graph, title=title)  # intermediates joined: the static picture
        super().__init__(scene=self.model.scene(), options={"intermediate": False}, layout=shared_layout())
        self.on_msg(lambda _widget, content, _buffers: self.handle_message(content))
        self.observe(self._on_options, names="options")

    def handle_message(self, content: Any) -> dict[str, Any] | None:
        """Act on a front-end message (the ``on_msg`` path); the reply sent, if any, is also returned."""
        if not isinstance(content, dict) or content.get("event") not in _EVENTS:
            return self._reply({"event": "error", "reason": f"unknown message {content!r:.80}: the events are "
                                                            f"{', '.join(_EVENTS)}"})
        event, model = content["event"], self.model
        try:
            if event == "sql":
                return self._reply(self.sql(str(content.get("edge"))))
            if event == "options":
                self.options = {**self.options, "intermediate": bool(content.get("intermediate"))}
                return None  # _on_options lays out again
            if event == "expand":
                model.expand(str(content.get("table")))
            elif event == "collapse":
                model.collapse(str(content.get("table")))
            elif event == "expand_all":
                model.expand_all()
            elif event == "neighbourhood":
                depth = content.get("depth", 1)
                model.neighbourhood(str(content.get("table")), depth if isinstance(depth, int) else 1)
            else:
                model.summary()
        except KeyError as exc:
            return self._reply({"event": "error", "reason": str(exc.args[0])})
        self.scene = model.scene()
        return None

    def _on_options(self, change: dict[str, Any]) -> None:
        shown = bool((change["new"] or {}).get("intermediate"))
        if shown != self.model.intermediate:
            self.model.set_intermediate(shown)
            self.scene = self.model.scene()

    def sql(self, edge_id: str) -> dict[str, Any]:
        """The ``sql`` answer for an edge of the current scene: where it is written and its statement's text."""
        edge = self.model.edges.get(edge_id)
        if edge is None:
            return {"event": "sql", "edge": edge_id, "available": False, "file": None, "line": None, "column": None,
                    "text": None, "reason": f"no edge {edge_id!r} in the scene shown"}
        where = edge["where"][0] if edge["where"] else {"file": None, "line": None, "column": None}
        statement = self.model.statements.get(edge["statement"]) if edge["statement"] else None
        whose = f"job {self.job_id}" if self.job_id else "this lineage"
        found = statement_text(self.files, statement, whose)
        return {"event": "sql", "edge": edge_id, "available": found.text is not None,
                "file": found.file or where["file"], "line": where["line"], "column": where["column"],
                "text": found.text, "reason": found.reason}

    def _reply(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.comm is not None:
            self.send(message)
        return message

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view with the static picture's HTML and text beside it, for front ends without it."""
        data = super()._repr_mimebundle_(**kwargs)
        bundle = data[0] if isinstance(data, tuple) else data
        if bundle is None:
            return self.static._repr_mimebundle_()
        return {**bundle, **self.static._repr_mimebundle_()}

    def __repr__(self) -> str:
        return self.static.text()
