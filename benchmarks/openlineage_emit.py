"""What sending OpenLineage events costs, and how long a transport that is down takes to be reported.

A generated PostgreSQL script (``lineage_throughput.generated_script``, ``--kb`` KB) is analysed once and
its events built (``build_events``); they are then sent ``--runs`` times (median) through the OpenLineage
library's own HTTP transport to the loopback receiver (``sqlflow_magic.openlineage.receiver``, in a
process of its own, so that its reading of each event does not share this process's GIL), beside building
them. Then one event is sent to a closed port, with the transport's default retries (5, backoff 0.3 s) and
with ``retry: {total: 0}``: the time until ``emit_events`` says the transport is down. Needs the
``openlineage`` extra.

    python benchmarks/openlineage_emit.py [--kb 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from _common import machine_info, median, table
from lineage_throughput import generated_script
from openlineage.client import OpenLineageClient

from sqlflow_magic.openlineage import NamingSettings, OpenLineageEmitError, build_events, emit_events
from sqlflow_magic.openlineage.receiver import LineageReceiver, closed_port_url
from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json


def client(url: str, retry: dict[str, Any] | None = None) -> OpenLineageClient:
    transport: dict[str, Any] = {"type": "http", "url": url}
    if retry is not None:
        transport["retry"] = retry
    return OpenLineageClient(config={"transport": transport})


def down_seconds(retry: dict[str, Any] | None, events: list[Any]) -> float:
    start = time.perf_counter()
    try:
        emit_events(events[:1], client=client(closed_port_url(), retry))
    except OpenLineageEmitError:
        pass
    return time.perf_counter() - start


def _receive(pipe: Connection) -> None:
    """The receiver, in a child process: its URL, then its event count and warnings on each request."""
    with LineageReceiver() as receiver:
        pipe.send(receiver.url)
        while pipe.recv() != "stop":
            pipe.send((len(receiver.events), receiver.warnings))
            receiver.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    answer = to_sqlflow_json(analyze([SqlSource("big.sql", generated_script(args.kb * 1000))], "dbvpostgresql"))
    naming = NamingSettings(authority="db.example.com:5432", database="shop")
    builds, sends = [], []
    pipe, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=_receive, args=(child_end,), daemon=True)
    child.start()
    transport = client(pipe.recv())
    for _ in range(args.runs):
        start = time.perf_counter()
        events = build_events(answer, job_id="bench", job_name="bench", db_vendor="dbvpostgresql", naming=naming)
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = emit_events(events, client=transport)
        sends.append(time.perf_counter() - start)
        pipe.send("count")
        received, warnings = pipe.recv()
        assert report.sent == len(events) == received and not warnings
    pipe.send("stop")
    child.join(10)
    build, send = median(builds), median(sends)
    print(machine_info())
    print(f"script: {args.kb} KB; {len(events)} events, each sent and read back by the receiver")
    print(table(["step", "seconds (median)", "per event"], [
        ["build_events", f"{build:.2f}", f"{build / len(events) * 1000:.2f} ms"],
        ["emit_events over HTTP (receiver in another process)", f"{send:.2f}", f"{send / len(events) * 1000:.2f} ms"],
    ]))
    print(table(["a transport that is down (closed port)", "seconds until the one-line error"], [
        ["default retries (5, backoff 0.3 s)", f"{down_seconds(None, events):.2f}"],
        ["retry: {total: 0}", f"{down_seconds({'total': 0}, events):.3f}"],
    ]))


if __name__ == "__main__":
    main()
