"""How long ``%%sqlflow_submit --wait`` of a 20-statement script takes on the embedded server, beside the
synchronous generation endpoint (the floor) and the vendor's own request sequence made with ``requests``.

Everything runs in one process, as in a notebook: an ``InteractiveShell`` (or, with ``--kernel``, a real
IPython kernel started with ``jupyter_client``, whose panels go to this script as to a front end) with the
extension loaded and its embedded local server (started by the magic itself, in that process, with its
analysis processes),
as the on-premise user ``gudu|0123456789``. Each variant produces the lineage of the same 20 statements
(``SCRIPT``, dbvoracle) from a server that is idle between variants:

- ``%%sqlflow_submit --wait`` (the target): ``shell.run_cell_magic("sqlflow_submit", "--wait", SCRIPT)``
  with the live panel (``SQLFlowMagics.live_panels = True``, as a kernel front end gets it): the submit,
  the polls, the lineage picture's export and the final panel, until the magic returns;
- ``synchronous endpoint`` (the floor): one ``httpx`` POST of the same SQL as ``sqltext`` to
  ``/sqlflow/generation/sqlflow``, asking for the picture's relations (``fdd,fdr``), JSON decoded;
- ``vendor's sequence, every 2 s`` (the peer): SQLFlow's Python job demo
  (``api/python/basic/GenerateDataLineageDemo.py`` in ``sqlparser/sqlflow_public``) redone with
  ``requests``: no ``generateToken`` for the on-premise user (its token is the word ``token``), the SQL
  file posted to ``submitUserJob`` with ``jobName``, ``displayUserJobSummary`` polled at once and then
  after ``time.sleep(2)`` until ``success``, ``partial_success`` or ``fail``, then ``exportLineageAsJson``
  with ``tableToTable=false``, written to a file; every call a new ``requests.post``;
- context: ``vendor's sequence, no pause`` (the vendor's "advanced" sample, ``api/python/advanced``:
  the file zipped, the status polled in a loop without any pause, then the same export), and
  ``%%sqlflow_submit --wait, pauses from 0.5 s`` (the schedule every server got before: 0.5 s, 0.8 s,
  ... up to 5 s) and ``%%sqlflow_submit --wait, 20 ms doubling`` (the local schedule's other candidate:
  20 ms, 40 ms, 80 ms, ... against the 1.5 times growth kept), and ``%%sqlflow_submit --wait, 10 ms
  growing 1.25x`` (10 ms, 12.5 ms, 15.6 ms, ...: more polls, each seeing the job sooner); and the two
  changes of 2026-12-07 turned off one at a time and both: ``polls not held`` (no ``waitMillis``: every
  poll answered at once, ``server/job_settled.py``), ``a new connection per call`` (no connection kept,
  ``client/kept_connection.py``), ``neither (before)``. The three schedules above poll without a hold.

The variants alternate in a fresh shuffled order every round, ``--runs`` rounds after ``--warmup``
discarded ones. The verdicts use the median of the per-round ratios; their range is printed too.

Targets: ``%%sqlflow_submit --wait`` at most 2x the synchronous endpoint, and faster than the vendor's
sequence.

    python benchmarks/submit_latency.py [--runs 15] [--warmup 2] [--kernel] [--strict]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from _common import machine_info, median, table, verdict

TARGET_RATIO = 2.0
ON_PREMISE_USER = "gudu|0123456789"
ON_PREMISE_TOKEN = "token"  # what the vendor's samples send for the on-premise user
VENDOR = "dbvoracle"
FINAL = ("success", "partial_success", "fail")

#: 20 statements of a small warehouse load: inserts from joins and aggregates, views, a CTAS, an update.
SCRIPT = """\
INSERT INTO stage.orders (order_id, customer_id, amount, order_date)
SELECT o.id, o.customer_id, o.amount, o.created_at FROM src.orders o WHERE o.status = 'done';
INSERT INTO stage.customers (customer_id, name, region)
SELECT c.id, c.name, r.name FROM src.customers c JOIN src.regions r ON r.id = c.region_id;
CREATE TABLE stage.products AS SELECT p.id AS product_id, p.name, p.category FROM src.products p;
INSERT INTO stage.order_lines (order_id, product_id, quantity, price)
SELECT l.order_id, l.product_id, l.qty, l.unit_price FROM src.order_lines l;
CREATE VIEW stage.v_line_totals AS
SELECT ol.order_id, SUM(ol.quantity * ol.price) AS line_total FROM stage.order_lines ol GROUP BY ol.order_id;
INSERT INTO dw.fact_sales (order_id, customer_id, product_id, amount)
SELECT o.order_id, o.customer_id, ol.product_id, ol.quantity * ol.price
FROM stage.orders o JOIN stage.order_lines ol ON ol.order_id = o.order_id;
INSERT INTO dw.dim_customer (customer_id, name, region) SELECT customer_id, name, region FROM stage.customers;
INSERT INTO dw.dim_product (product_id, name, category) SELECT product_id, name, category FROM stage.products;
INSERT INTO dw.daily_sales (sale_date, total)
SELECT o.order_date, SUM(o.amount) FROM stage.orders o GROUP BY o.order_date;
INSERT INTO dw.region_sales (region, total)
SELECT c.region, SUM(f.amount) FROM dw.fact_sales f JOIN dw.dim_customer c ON c.customer_id = f.customer_id
GROUP BY c.region;
INSERT INTO dw.category_sales (category, total)
SELECT p.category, SUM(f.amount) FROM dw.fact_sales f JOIN dw.dim_product p ON p.product_id = f.product_id
GROUP BY p.category;
CREATE VIEW rpt.top_customers AS
SELECT c.name, SUM(f.amount) AS total FROM dw.fact_sales f JOIN dw.dim_customer c ON c.customer_id = f.customer_id
GROUP BY c.name;
UPDATE dw.dim_customer SET region = 'unknown' WHERE region IS NULL;
INSERT INTO dw.order_totals (order_id, total) SELECT order_id, line_total FROM stage.v_line_totals;
INSERT INTO rpt.monthly_sales (month, total)
SELECT TRUNC(sale_date, 'MM'), SUM(total) FROM dw.daily_sales GROUP BY TRUNC(sale_date, 'MM');
CREATE VIEW rpt.v_region_share AS
SELECT r.region, r.total / (SELECT SUM(total) FROM dw.region_sales) AS share FROM dw.region_sales r;
INSERT INTO archive.orders SELECT * FROM stage.orders;
DELETE FROM stage.orders WHERE order_date < DATE '2020-01-01';
INSERT INTO rpt.big_orders (order_id, amount) SELECT order_id, total FROM dw.order_totals WHERE total > 1000;
CREATE TABLE rpt.customer_products AS
SELECT DISTINCT c.name, p.name AS product FROM dw.fact_sales f
JOIN dw.dim_customer c ON c.customer_id = f.customer_id JOIN dw.dim_product p ON p.product_id = f.product_id;
"""


def build_variants(folder: Path) -> dict[str, Callable[[], None]]:
    """name -> a function that gets the lineage of ``SCRIPT`` once (raising if it did not).

    In a kernel, its own shell runs the magic and its panels go to the front end (here: the client that
    started it); elsewhere an ``InteractiveShell`` whose display publisher only counts the panels.
    """
    import httpx
    import requests
    from IPython.core.getipython import get_ipython
    from IPython.core.interactiveshell import InteractiveShell

    from sqlflow_magic.client import waiting

    for name in ("SQLFLOW_URL", "SQLFLOW_SECRET_KEY", "SQLFLOW_TOKEN", "SQLFLOW_USER_ID"):
        os.environ.pop(name, None)
    shell = get_ipython()
    if shell is None:
        from _common import quiet_display

        shell = InteractiveShell.instance()
        quiet_display(shell)
    shell.run_line_magic("load_ext", "sqlflow_magic")
    shell.run_line_magic("config", f"SQLFlowMagics.local_server_db = {str(folder / 'jobs.sqlite3')!r}")
    shell.run_line_magic("config", "SQLFlowMagics.live_panels = True")  # as a kernel front end gets it

    def magic() -> None:
        shell.run_cell_magic("sqlflow_submit", "--wait", SCRIPT)
        job = shell.user_ns["sqlflow_job"]
        if job.status != "success":
            raise RuntimeError(f"%%sqlflow_submit --wait ended with job status {job.status!r}")

    magic()  # starts the embedded server
    magics = shell.magics_manager.registry["SQLFlowMagics"]
    url = magics.connections.running_embedded_url()
    if url is None:
        raise RuntimeError("the embedded server is not running after a submit")
    script_path = folder / "script.sql"
    script_path.write_text(SCRIPT, encoding="utf-8")
    auth = {"userId": ON_PREMISE_USER, "token": ON_PREMISE_TOKEN}
    sync_http = httpx.Client(timeout=120)

    def synchronous() -> None:
        answer = sync_http.post(f"{url}/sqlflow/generation/sqlflow",
                                data={**auth, "dbvendor": VENDOR, "sqltext": SCRIPT, "showRelationType": "fdd,fdr"})
        body = answer.json()
        if answer.status_code != 200 or body.get("code") != 200 or not body["data"]["relationships"]:
            raise RuntimeError(f"the synchronous endpoint answered {answer.status_code}: {answer.text[:200]}")

    def vendor_sequence(pause: float, zipped: bool) -> None:
        # The requests and the pause of SQLFlow's Python samples; only their printing is left out.
        if zipped:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(script_path, script_path.name)
            (folder / "files.zip").write_bytes(buffer.getvalue())
            upload = open(folder / "files.zip", "rb")  # as the sample opens it
        else:
            upload = open(script_path, "rb")
        with upload:
            answer = requests.post(f"{url}/sqlflow/job/submitUserJob", files={"sqlfiles": upload},
                                   data={"dbvendor": VENDOR, "jobName": "test", **auth})
        result = answer.json()
        if result["code"] != 200:
            raise RuntimeError(f"submitUserJob: {result}")
        job_id = result["data"]["jobId"]
        while True:
            status = requests.post(f"{url}/sqlflow/job/displayUserJobSummary",
                                   data={"jobId": job_id, **auth}).json()["data"]["status"]
            if status in FINAL:
                break
            if pause:
                time.sleep(pause)
        if status != "success":
            raise RuntimeError(f"the vendor's sequence ended with job status {status!r}")
        export = requests.post(f"{url}/sqlflow/job/exportLineageAsJson",
                               data={"jobId": job_id, **auth, "tableToTable": "false"})
        (folder / f"datalineage_{job_id}_json.json").write_bytes(export.content)
        if b"relationships" not in export.content:
            raise RuntimeError(f"exportLineageAsJson answered {export.text[:200]}")

    def magic_with_the_old_schedule() -> None:
        local = waiting.LOCAL_POLLS
        waiting.LOCAL_POLLS = waiting.REMOTE_POLLS  # the schedule before: 0.5 s first, whatever the server
        try:
            magic()
        finally:
            waiting.LOCAL_POLLS = local

    def magic_doubling() -> None:
        local = waiting.LOCAL_POLLS
        waiting.LOCAL_POLLS = waiting.PollSchedule(initial=0.02, maximum=5.0, factor=2.0)  # the other candidate
        try:
            magic()
        finally:
            waiting.LOCAL_POLLS = local

    def magic_gentler_growth() -> None:
        local = waiting.LOCAL_POLLS
        waiting.LOCAL_POLLS = waiting.PollSchedule(initial=0.01, maximum=5.0, factor=1.25)  # a candidate
        try:
            magic()
        finally:
            waiting.LOCAL_POLLS = local

    def magic_polls_not_held() -> None:
        local = waiting.LOCAL_POLLS
        waiting.LOCAL_POLLS = dataclasses.replace(local, hold=0.0)  # before: every poll answered at once
        try:
            magic()
        finally:
            waiting.LOCAL_POLLS = local

    def magic_connecting_anew() -> None:
        keeper = magics.connections.client(magics.effective_settings())._connections
        keeper.keep = False  # before: a new connection for every call
        try:
            magic()
        finally:
            keeper.keep = True

    def magic_as_before() -> None:
        keeper = magics.connections.client(magics.effective_settings())._connections
        keeper.keep = False
        try:
            magic_polls_not_held()
        finally:
            keeper.keep = True

    return {
        "%%sqlflow_submit --wait": magic,
        "synchronous endpoint": synchronous,
        "vendor's sequence, every 2 s": lambda: vendor_sequence(2.0, zipped=False),
        "vendor's sequence, no pause": lambda: vendor_sequence(0.0, zipped=True),
        "%%sqlflow_submit --wait, pauses from 0.5 s": magic_with_the_old_schedule,
        "%%sqlflow_submit --wait, 20 ms doubling": magic_doubling,
        "%%sqlflow_submit --wait, 10 ms growing 1.25x": magic_gentler_growth,
        "%%sqlflow_submit --wait, polls not held": magic_polls_not_held,
        "%%sqlflow_submit --wait, a new connection per call": magic_connecting_anew,
        "%%sqlflow_submit --wait, neither (before)": magic_as_before,
    }


def measure(runs: int, warmup: int) -> dict[str, list[float]]:
    """Wall milliseconds of every variant, per round."""
    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-latency-") as folder:
        variants = build_variants(Path(folder))
        names = list(variants)
        order = random.Random(20261207)
        times: dict[str, list[float]] = {name: [] for name in names}
        for round_number in range(warmup + runs):
            order.shuffle(names)
            for name in names:
                start = time.perf_counter()
                variants[name]()
                if round_number >= warmup:
                    times[name].append((time.perf_counter() - start) * 1000)
        return times


def report(times: dict[str, list[float]]) -> bool:
    ours, floor, peer = "%%sqlflow_submit --wait", "synchronous endpoint", "vendor's sequence, every 2 s"
    rows = []
    for name, values in times.items():
        role = {ours: "ours (target)", floor: "floor", peer: "peer"}.get(name, "context")
        per_round = [v / f for v, f in zip(values, times[floor], strict=True)]
        rows.append([name, role, f"{median(values):.1f}", f"{min(values):.1f}-{max(values):.1f}",
                     f"{median(per_round):.2f}x", f"{min(per_round):.2f}-{max(per_round):.2f}"])
    print(table(["variant", "role", "median ms", "range ms", "vs sync (median)", "vs sync range"], rows))
    to_floor = [v / f for v, f in zip(times[ours], times[floor], strict=True)]
    targets = [(floor, to_floor, TARGET_RATIO)]
    for name in (peer, "vendor's sequence, no pause"):
        targets.append((name, [v / p for v, p in zip(times[ours], times[name], strict=True)], 1.0))
    rows, met = [], True
    for name, ratios, goal in targets:
        ok = median(ratios) <= goal if goal == TARGET_RATIO else median(ratios) < goal
        met = met and (ok or name == "vendor's sequence, no pause")
        role = "" if name != "vendor's sequence, no pause" else " (context)"
        rows.append([f"{ours} / {name}{role}", f"{median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
                     f"<= {goal:g}x" if goal == TARGET_RATIO else f"< {goal:g}x", verdict(ok)])
    print()
    print(table(["target (median of per-round ratios)", "measured (range)", "goal", "verdict"], rows))
    return met


def measure_in_kernel(runs: int, warmup: int) -> dict[str, list[float]]:
    """:func:`measure` run inside a fresh IPython kernel (``jupyter_client``), its result read from stdout."""
    from _common import run_in_kernel

    result: dict[str, list[float]] = run_in_kernel("submit_latency", f"measure({runs}, {warmup})")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="measured rounds (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    parser.add_argument("--kernel", action="store_true",
                        help="run every variant in a fresh IPython kernel (jupyter_client), as a notebook does")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    print(f"Machine: {machine_info()}")
    where = "an IPython kernel" if args.kernel else "an InteractiveShell"
    print(f"20 statements ({len(SCRIPT.encode())} bytes, {VENDOR}), {args.runs} rounds after {args.warmup} warm-up "
          f"rounds, variants alternating; all in {where}, with the embedded server in its process\n")
    times = measure_in_kernel(args.runs, args.warmup) if args.kernel else measure(args.runs, args.warmup)
    met = report(times)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
