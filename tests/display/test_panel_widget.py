"""The live panel's widget is made cheaply: an instance of its own class, anywidget's state unchanged.

What a panel costs is measured by ``benchmarks/submit_overhead.py`` (never timed here); these tests hold
the reason it is cheap: no class is made for each widget (``display/panel_widget.py``).
"""

from __future__ import annotations

import pytest
from traitlets import Unicode

from sqlflow_magic.client.models import Job
from sqlflow_magic.display.panel import JobPanel
from sqlflow_magic.display.panel_widget import JobPanelWidget
from sqlflow_magic.display.render import ServerInfo

pytestmark = pytest.mark.unit

JOB = Job.from_api({"jobId": "b" * 32, "jobName": "cell", "status": "create", "dbVendor": "dbvoracle"})
SERVER = ServerInfo("http://127.0.0.1:5/gspLive_backend", embedded=True)


def live_widget() -> JobPanelWidget:
    widget = JobPanel(JOB, SERVER, lambda _id: JOB, live=True).widget
    assert widget is not None
    return widget


def test_a_panel_widget_is_an_instance_of_its_class_not_of_a_class_made_for_it():
    before = len(JobPanelWidget.__subclasses__())
    widgets = [live_widget() for _ in range(3)]
    assert {type(widget) for widget in widgets} == {JobPanelWidget}
    assert len(JobPanelWidget.__subclasses__()) == before


def test_the_widget_state_is_what_anywidget_gives_its_traits():
    state = live_widget().get_state()
    assert state["_anywidget_id"] == "sqlflow_magic.display.panel_widget.JobPanelWidget"  # anywidget's module.Class
    assert "export default" in state["_esm"] and ".sqlflow-panel" in state["_css"]
    assert (state["_model_module"], state["_model_name"], state["_view_name"]) == ("anywidget", "AnyModel", "AnyView")


def test_a_declared_trait_added_again_takes_the_value_asked_for_without_a_new_class():
    widget = live_widget()
    widget.add_traits(_anywidget_id=Unicode("elsewhere.Panel").tag(sync=True))
    assert type(widget) is JobPanelWidget and widget.get_state("_anywidget_id") == {"_anywidget_id": "elsewhere.Panel"}


def test_a_trait_the_class_does_not_declare_is_added_as_ipywidgets_adds_it():
    widget = live_widget()
    widget.add_traits(progress=Unicode("half").tag(sync=True), note=Unicode("").tag(sync=False))
    assert widget.get_state("progress") == {"progress": "half"} and "progress" in widget.keys
    assert widget.trait_metadata("note", "sync") is False  # other metadata: a new trait, not a value set
