"""Latency of ``%%sqlflow_submit`` on a 1 KB cell beside a raw ``httpx`` POST of the same multipart body.

Both send to the same local SQLFlow-compatible server (``EmbeddedServer`` in its own process, job
worker off, so jobs are only stored), as the same user with the same token and form fields
(``userId``, ``token``, ``dbvendor``, ``firstSubmit``, ``schedulable``, ``onTop`` and one
``sqlfiles`` part ``cell.sql``, ``text/plain; charset=utf-8``). Each keeps its HTTP connection
alive between submits, as a notebook session does.

Variants, alternating in a shuffled order every round, ``--runs`` times each after ``--warmup`` discarded rounds:

- ``%%sqlflow_submit`` (the target): ``shell.run_cell_magic("sqlflow_submit", "", cell)`` in an
  ``InteractiveShell``: option parsing, settings, the request, the answer's checks, the jobId
  variables and the job panel. The panel is displayed through the shell's display publisher, which
  here only counts: its whole mimebundle is built (HTML, text and the widget view: one
  widget model, drawn by anywidget's front end), only the terminal write is left out;
- ``raw httpx POST`` (the peer): ``httpx.Client.post`` of the pre-encoded cell with the same fields,
  then ``response.json()`` for the jobId;
- context, not targets: ``run_cell`` (the same cell through IPython's full cell machinery: input
  transformation, compilation, execution), ``SQLFlowClient.submit_persist_job`` (our client alone:
  no IPython, no panel) and ``%%sqlflow_submit`` with a panel of HTML and text only (as without
  ipywidgets and anywidget installed), which shows what the panel's widget costs.

Each speed trick left on the submit path has a row with the trick turned off, which shows what it
earns: the panels' shared ``Layout`` model (``display/panel_widget.py``), and no class made for each
panel's widget (``JobPanelWidget.add_traits``: anywidget's own traits declared on the class), and one
watchdog thread for every call's deadline rather than a ``threading.Timer`` started per call
(``client/deadline.py``), and the connection kept from one call to the next rather than a new one per
call (``client/kept_connection.py``), and the multipart body encoded whole and written at once rather
than piece by piece (``client/transport.py``).

And the target and its peer alone, **back to back**: ``--block`` submits of one, then as many of the
other, ``--runs`` each, taking turns with the shuffled rounds. Shuffled among the variants, every
submit follows another variant's call, as in a notebook, where a submit follows other code; back to
back, each follows itself, in the caches it left. The raw POST, the shorter call, gains more from
that (docs/performance.md).

Target: the median latency of ``%%sqlflow_submit`` at most 1.3x the raw POST's, both ways.

    python benchmarks/submit_overhead.py [--runs 200] [--warmup 10] [--block 25] [--server-in-process] [--strict]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

from _common import (
    CELL_CONTENT_TYPE,
    SECRET_KEY,
    SUBMIT_FIELDS,
    USER_ID,
    configure_shell,
    fetch_token,
    machine_info,
    median,
    percentile,
    quiet_display,
    server_process,
    table,
    verdict,
)

TARGET_RATIO = 1.3
CELL_BYTES = 1024


def make_cell(size: int) -> str:
    """ASCII SQL of exactly ``size`` bytes, ending in a newline."""
    lines: list[str] = []
    length = 0
    while length < size:
        i = len(lines) + 1
        lines.append(f"insert into sales_{i % 7} select id, amount, region from staging_{i} where amount > {i};\n")
        length += len(lines[-1])
    text = "".join(lines)[: size - 1]
    return text + "\n"


def build_variants(base_url: str) -> dict[str, Callable[[], str]]:
    """name -> a function that submits the cell once and returns the new jobId."""
    import httpx
    import ipywidgets
    from IPython.core.interactiveshell import InteractiveShell

    from sqlflow_magic.client import SQLFlowClient
    from sqlflow_magic.client.models import SubmitRequest, UploadFile
    from sqlflow_magic.client.secrets import Secret
    from sqlflow_magic.client.settings import ClientSettings

    cell = make_cell(CELL_BYTES)
    body = cell.encode("utf-8")
    assert len(body) == CELL_BYTES
    token = fetch_token(base_url)
    shell = InteractiveShell.instance()
    published = quiet_display(shell)
    shell.run_line_magic("load_ext", "sqlflow_magic")
    configure_shell(shell, base_url)
    # A terminal InteractiveShell has no kernel, so the panel would not be live (no widget) by default:
    # ask for the live panel, as a kernel front end gets it.
    shell.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    raw_http = httpx.Client(timeout=60)
    raw_fields = {**SUBMIT_FIELDS, "userId": USER_ID, "token": token}
    client = SQLFlowClient(ClientSettings(base_url, user_id=USER_ID, secret_key=Secret(SECRET_KEY)))
    run_cell_source = "%%sqlflow_submit\n" + cell

    expected_keys = [3]  # text, HTML and the widget view; 2 while the widget is left out

    def magic() -> str:
        before = len(published)
        shell.run_cell_magic("sqlflow_submit", "", cell)
        if len(published) != before + 1:
            raise RuntimeError("%%sqlflow_submit displayed no panel")
        if published[-1] != expected_keys[0]:
            raise RuntimeError(f"the panel had {published[-1]} mime types, not {expected_keys[0]}")
        return str(shell.user_ns["sqlflow_job_id"])

    def raw() -> str:
        response = raw_http.post(
            f"{base_url}/sqlflow/job/submitPersistJob",
            data=raw_fields,
            files=[("sqlfiles", ("cell.sql", body, CELL_CONTENT_TYPE))],
        )
        response.raise_for_status()
        return str(response.json()["data"]["jobId"])

    def full_cell() -> str:
        result = shell.run_cell(run_cell_source, store_history=False)
        result.raise_error()
        return str(shell.user_ns["sqlflow_job_id"])

    def client_only() -> str:
        return client.submit_persist_job(SubmitRequest("dbvoracle", (UploadFile("cell.sql", body),))).job_id

    def magic_without_widget() -> str:
        from sqlflow_magic.display import panel

        available = panel.widgets_available
        panel.widgets_available = lambda: False  # as without the widget libraries: HTML and text only
        expected_keys[0] = 2
        try:
            return magic()
        finally:
            panel.widgets_available = available
            expected_keys[0] = 3

    def magic_with_a_layout_per_panel() -> str:
        shared = panel_widget.shared_layout
        panel_widget.shared_layout = ipywidgets.Layout  # speed trick off: each panel makes its own Layout model
        try:
            return magic()
        finally:
            panel_widget.shared_layout = shared

    from sqlflow_magic.display import panel_widget

    class ClassPerPanel(panel_widget.JobPanelWidget):
        """The panel's widget as anywidget alone makes it: traitlets' ``add_traits``, a new class per widget."""

        def add_traits(self, **traits: object) -> None:
            ipywidgets.DOMWidget.add_traits(self, **traits)

    def magic_with_a_class_per_panel() -> str:
        made = panel_widget.JobPanelWidget
        panel_widget.JobPanelWidget = ClassPerPanel  # speed trick off: anywidget's add_traits makes a class per panel
        try:
            return magic()
        finally:
            panel_widget.JobPanelWidget = made

    def magic_with_a_timer_per_call() -> str:
        import threading

        from sqlflow_magic.client import deadline, transport

        class TimerDeadline(deadline.Deadline):
            """The deadline as it was before the watchdog: a ``threading.Timer`` of its own per call."""

            def __enter__(self) -> deadline.Deadline:
                self._timer = threading.Timer(self.seconds, self._shut_down)
                self._timer.daemon = True
                self._timer.start()
                return self

            def __exit__(self, *exc_info: object) -> None:
                self._timer.cancel()

        transport.Deadline = TimerDeadline  # speed trick off: a thread started for every call's deadline
        try:
            return magic()
        finally:
            transport.Deadline = deadline.Deadline

    def magic_connecting_anew() -> str:
        magics = shell.magics_manager.registry["SQLFlowMagics"]
        keeper = magics.connections.client(magics.effective_settings())._connections
        keeper.keep = False  # speed trick off: a new connection for every call, as before
        try:
            return magic()
        finally:
            keeper.keep = True

    def magic_sending_pieces() -> str:
        from sqlflow_magic.client import transport

        whole = transport.SENT_WHOLE_UP_TO
        transport.SENT_WHOLE_UP_TO = -1  # speed trick off: the multipart body written piece by piece, as before
        try:
            return magic()
        finally:
            transport.SENT_WHOLE_UP_TO = whole

    return {
        "%%sqlflow_submit (run_cell_magic)": magic,
        "raw httpx POST": raw,
        "run_cell('%%sqlflow_submit ...')": full_cell,
        "SQLFlowClient.submit_persist_job": client_only,
        "%%sqlflow_submit, panel without widget": magic_without_widget,
        "%%sqlflow_submit, speed trick off: a Layout per panel": magic_with_a_layout_per_panel,
        "%%sqlflow_submit, speed trick off: a class made per panel": magic_with_a_class_per_panel,
        "%%sqlflow_submit, speed trick off: a timer thread per call": magic_with_a_timer_per_call,
        "%%sqlflow_submit, speed trick off: a new connection per call": magic_connecting_anew,
        "%%sqlflow_submit, speed trick off: the body written in pieces": magic_sending_pieces,
    }


Latencies = dict[str, list[float]]


def measure(base_url: str, runs: int, warmup: int, block: int) -> tuple[Latencies, Latencies, Latencies]:
    """(wall ms, CPU ms of this process) of every submit, per variant, shuffled among the variants; and the
    wall ms of the target and its peer back to back (``block`` submits of each in turn). The two ways
    take turns, ``block`` rounds at a time, so that both sample the whole run (a shell that has made
    hundreds of panels, a server that holds thousands of jobs)."""
    variants = build_variants(base_url)
    names = list(variants)
    pair = names[:2]  # the target and its peer
    for _ in range(warmup):
        for name in names:
            variants[name]()
    latencies: Latencies = {name: [] for name in names}
    cpu: Latencies = {name: [] for name in names}
    back_to_back: Latencies = {name: [] for name in pair}
    seen: set[str] = set()

    def submit(name: str) -> tuple[float, float]:
        start, start_cpu = time.perf_counter(), time.process_time()
        job_id = variants[name]()
        wall, used = (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000
        if job_id in seen or len(job_id) != 32:
            raise RuntimeError(f"{name}: unexpected jobId {job_id!r}")
        seen.add(job_id)
        return wall, used

    order = random.Random(20240601)
    while len(latencies[pair[0]]) < runs:
        for _ in range(min(block, runs - len(latencies[pair[0]]))):
            order.shuffle(names)  # a fresh order every round: no variant always follows the same one
            for name in names:
                wall, used = submit(name)
                latencies[name].append(wall)
                cpu[name].append(used)
        for name in pair:
            for _ in range(min(block, runs - len(back_to_back[name]))):
                back_to_back[name].append(submit(name)[0])
    return latencies, cpu, back_to_back


def report(latencies: Latencies, cpu: Latencies, back_to_back: Latencies) -> bool:
    ours_name, raw_name = list(latencies)[:2]
    raw_median = median(latencies[raw_name])
    rows = []
    for name, values in latencies.items():
        role = {ours_name: "ours (target)", raw_name: "peer"}.get(name, "context")
        rows.append(
            [
                name,
                role,
                f"{median(values):.2f}",
                f"{percentile(values, 90):.2f}",
                f"{median(values) / raw_median:.2f}x",
                f"{median(cpu[name]):.2f}",
            ]
        )
    print(table(["variant", "role", "median ms", "p90 ms", "vs raw (median)", "client CPU ms (median)"], rows))
    ratio = median(latencies[ours_name]) / raw_median
    overhead = median(latencies[ours_name]) - raw_median
    if overhead > 0:
        print(
            f"\n%%sqlflow_submit adds {overhead:.2f} ms to the raw POST: within {TARGET_RATIO}x of a server whose "
            f"raw POST takes {overhead / (TARGET_RATIO - 1):.1f} ms or more (this one: {raw_median:.2f} ms)."
        )
    ours_alone, raw_alone = median(back_to_back[ours_name]), median(back_to_back[raw_name])
    print(
        f"\nBack to back ({len(back_to_back[ours_name])} submits each, in blocks): %%sqlflow_submit "
        f"{ours_alone:.2f} ms, raw POST {raw_alone:.2f} ms."
    )
    rows = [
        ["%%sqlflow_submit / raw httpx POST (median), shuffled among the variants", ratio],
        ["the same, back to back", ours_alone / raw_alone],
    ]
    print()
    print(
        table(
            ["target", "measured", "goal", "verdict"],
            [[name, f"{value:.3f}x", f"<= {TARGET_RATIO}x", verdict(value <= TARGET_RATIO)] for name, value in rows],
        )
    )
    return all(value <= TARGET_RATIO for _, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--runs", type=int, default=200, help="submits per variant (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="discarded submits per variant first (default 10)")
    parser.add_argument("--block", type=int, default=25, help="submits in a row, back to back (default 25)")
    parser.add_argument(
        "--server-in-process",
        action="store_true",
        help="run the server in this process (as the embedded default does in a kernel)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.block < 1:
        parser.error("--runs and --block must be at least 1")
    print(f"Machine: {machine_info()}")
    where = "in this process" if args.server_in_process else "in its own process"
    print(
        f"{CELL_BYTES} byte cell, {args.runs} submits per variant after {args.warmup} warm-up rounds, "
        f"alternating; server {where}\n"
    )
    if args.server_in_process:
        import tempfile
        from pathlib import Path

        from sqlflow_magic.server import EmbeddedServer, ServerConfig

        with tempfile.TemporaryDirectory(prefix="sqlflow-bench-server-") as folder:
            config = ServerConfig(db_path=Path(folder) / "jobs.sqlite3", users={USER_ID: SECRET_KEY}, run_worker=False,
                                  max_queued_jobs_per_user=None)  # no worker: every submit stays queued
            with EmbeddedServer(config) as server:
                latencies, cpu, back_to_back = measure(server.url, args.runs, args.warmup, args.block)
    else:
        with server_process() as url:
            latencies, cpu, back_to_back = measure(url, args.runs, args.warmup, args.block)
    met = report(latencies, cpu, back_to_back)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
