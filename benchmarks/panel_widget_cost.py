"""What the live job panel's widget costs, part by part, in an ``InteractiveShell`` and in a real IPython kernel.

``submit_overhead.py`` times the whole 1 KB submit; this script breaks down its panel. Each row is made
``--runs`` times (after ``--warmup``), the rows alternating in a shuffled order every round; the medians
are printed in microseconds. In the kernel (``jupyter_client``, as ``submit_latency.py --kernel``) every
widget opens a real comm, so its ``comm_open`` message is built, signed and sent to this script, which
counts the messages and their sizes.

- ``JobPanel.show(), live``: the panel as ``%%sqlflow_submit`` shows it while its job runs (the widget,
  its HTML and text forms, the display);
- ``JobPanel.show(), not live``: the same panel without the widget (HTML and text only);
- ``JobPanelWidget``: the widget alone (``display/panel_widget.py``);
- ``a class made per widget``: the same widget as anywidget alone makes it: ``AnyWidget.__init__``
  adds ``_anywidget_id`` with ``add_traits``, and traitlets makes a new class for each instance;
- ``as before 2026-12-07``: ``_esm`` and ``_css`` given as plain strings, so anywidget adds them to
  each instance too (three traits added, one class per widget);
- ``ipywidgets.DOMWidget, same traits`` (the floor): what a widget model costs without anywidget.

Run it with an older checkout on ``PYTHONPATH`` to measure that checkout's panel (before).

    python benchmarks/panel_widget_cost.py [--runs 2000] [--warmup 100] [--no-kernel]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable

from _common import machine_info, median, table


def source_texts() -> tuple[str, str]:
    """The panel's ``_esm`` and ``_css``: class traits since 2026-12-07, plain strings in older checkouts."""
    from sqlflow_magic.display.panel_widget import JobPanelWidget

    traits = JobPanelWidget.class_traits()
    if "_esm" in traits:
        return traits["_esm"].default_value, traits["_css"].default_value
    return str(JobPanelWidget._esm), str(JobPanelWidget._css)


def build_rows() -> dict[str, Callable[[], object]]:
    """name -> a function that makes (and shows) one panel or widget."""
    import ipywidgets
    from traitlets import Bool, Unicode

    from sqlflow_magic.client.models import Job
    from sqlflow_magic.display.panel import JobPanel
    from sqlflow_magic.display.panel_widget import JobPanelWidget, shared_layout
    from sqlflow_magic.display.render import ServerInfo, job_html

    job = Job.from_api({"jobId": "a" * 32, "jobName": "cell", "userId": "gudu|0123456789", "status": "create",
                        "dbVendor": "dbvoracle", "createTime": "2026-12-07 06:00:00"})
    server = ServerInfo("http://127.0.0.1:8165", embedded=True)
    html = job_html(job, server)
    esm, css = source_texts()

    class ClassPerWidget(JobPanelWidget):
        def add_traits(self, **new: object) -> None:
            ipywidgets.DOMWidget.add_traits(self, **new)

    class AsBefore(ClassPerWidget):
        pass

    AsBefore._esm, AsBefore._css = esm, css  # plain strings: anywidget adds them to every instance

    class Floor(ipywidgets.DOMWidget):
        _model_name = Unicode("AnyModel").tag(sync=True)
        _model_module = Unicode("anywidget").tag(sync=True)
        _view_name = Unicode("AnyView").tag(sync=True)
        _view_module = Unicode("anywidget").tag(sync=True)
        _esm = Unicode(esm).tag(sync=True)
        _css = Unicode(css).tag(sync=True)
        _anywidget_id = Unicode("Floor").tag(sync=True)
        job_html = Unicode("").tag(sync=True)
        note = Unicode("").tag(sync=True)
        refreshable = Bool(False).tag(sync=True)

        def __repr__(self) -> str:  # as JobPanelWidget's: ipywidgets' own repr lists every trait
            return "floor"

    def panel(live: bool) -> Callable[[], object]:
        return lambda: JobPanel(job, server, lambda _id: job, live=live).show()

    def widget(cls: type) -> Callable[[], object]:
        def make() -> object:
            layout = {"layout": shared_layout()} if cls is Floor else {}  # JobPanelWidget passes it itself
            made = cls(job_html=html, note="", refreshable=True, **layout)
            return made._repr_mimebundle_()
        return make

    return {
        "JobPanel.show(), live": panel(True),
        "JobPanel.show(), not live": panel(False),
        "JobPanelWidget": widget(JobPanelWidget),
        "a class made per widget (anywidget alone)": widget(ClassPerWidget),
        "as before 2026-12-07 (_esm, _css as strings)": widget(AsBefore),
        "ipywidgets.DOMWidget, same traits (floor)": widget(Floor),
    }


def measure(runs: int, warmup: int) -> dict[str, float]:
    """Median microseconds per row, the rows alternating; panels are displayed to a publisher that only counts."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    if type(shell).__name__ == "InteractiveShell":  # a kernel's shell sends its displays to the front end
        from _common import quiet_display

        quiet_display(shell)
    rows = build_rows()
    names = list(rows)
    for _ in range(warmup):
        for name in names:
            rows[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    order = random.Random(20261207)
    for _ in range(runs):
        order.shuffle(names)
        for name in names:
            start = time.perf_counter()
            rows[name]()
            times[name].append((time.perf_counter() - start) * 1e6)
    return {name: median(values) for name, values in times.items()}


def measure_in_kernel(runs: int, warmup: int) -> tuple[dict[str, float], dict[str, list[int]]]:
    """:func:`measure` in a fresh IPython kernel; also the sizes of the comm messages it sent, by type."""
    from _common import run_in_kernel

    sizes: dict[str, list[int]] = {}

    def count(message: dict) -> None:
        kind = message["header"]["msg_type"]
        if kind in ("comm_open", "comm_msg", "display_data"):
            sizes.setdefault(kind, []).append(len(json.dumps(message["content"])))

    result: dict[str, float] = run_in_kernel("panel_widget_cost", f"measure({runs}, {warmup})", count)
    return result, sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="measured rounds (default 2000)")
    parser.add_argument("--warmup", type=int, default=100, help="discarded rounds first (default 100)")
    parser.add_argument("--no-kernel", action="store_true", help="the InteractiveShell only")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    print(f"Machine: {machine_info()}")
    print(f"{args.runs} rounds after {args.warmup} warm-up rounds, rows alternating\n")
    shell = measure(args.runs, args.warmup)
    columns = {"InteractiveShell (µs)": shell}
    sizes: dict[str, list[int]] = {}
    if not args.no_kernel:
        columns["IPython kernel (µs)"], sizes = measure_in_kernel(args.runs, args.warmup)
    floor = {where: values["ipywidgets.DOMWidget, same traits (floor)"] for where, values in columns.items()}
    print(table(["row", *columns, *(f"vs floor, {where.split(' (')[0]}" for where in columns)],
                [[name, *(f"{values[name]:.1f}" for values in columns.values()),
                  *(f"{values[name] / floor[where]:.2f}x" for where, values in columns.items())] for name in shell]))
    for kind, values in sorted(sizes.items()):
        print(f"\n{kind}: {len(values)} messages, JSON content {min(values):,}-{max(values):,} bytes (median "
              f"{median(values):,.0f})")
    if sizes:
        esm, css = source_texts()
        print(f"of which each panel's _esm {len(esm):,} and _css {len(css):,} characters; "
              f"no comm_msg means no state was sent twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
