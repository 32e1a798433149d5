"""What building OpenLineage events costs, beside the analysis that made the lineage and the picture's reader.

A generated PostgreSQL script (``lineage_throughput.generated_script``, ``--kb`` KB) is analysed once by
the engine; its lineage JSON then goes through, ``--runs`` times each (median):

- ``read_lineage`` (the reader behind the picture and the DataFrames), for comparison;
- ``build_events`` (statements, joined flows, datasets and facets with openlineage-python's models);
- ``build_events`` + ``events_to_json`` (the client's ``Serde``: what a transport sends).

It prints the script's size and statements, the number of events and their JSON size, and the times
beside the engine's own analysis time. Needs the ``openlineage`` extra.

    python benchmarks/openlineage_events.py [--kb 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from _common import machine_info, median, table
from lineage_throughput import generated_script

from sqlflow_magic.lineage_json import read_lineage
from sqlflow_magic.openlineage import NamingSettings, build_events, events_to_json
from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sql = generated_script(args.kb * 1000)
    start = time.perf_counter()
    result = analyze([SqlSource("big.sql", sql)], "dbvpostgresql")
    analysis = time.perf_counter() - start
    answer = to_sqlflow_json(result)
    naming = NamingSettings(authority="db.example.com:5432", database="shop")

    def build() -> list[Any]:
        return build_events(answer, job_id="bench", job_name="bench", db_vendor="dbvpostgresql", naming=naming)

    reader, _ = timed(lambda: read_lineage(answer), args.runs)
    builder, events = timed(build, args.runs)
    both, payload = timed(lambda: events_to_json(build()), args.runs)
    print(machine_info())
    print(f"script: {len(sql) / 1000:.0f} KB, {len(result.processes)} statements; answer "
          f"{len(json.dumps(answer)) / 1e6:.1f} MB; {len(events)} events, {len(json.dumps(payload)) / 1e6:.1f} MB "
          "of JSON")
    print(table(["step", "seconds (median)", "beside the analysis"], [
        ["engine analysis (once)", f"{analysis:.2f}", "1.00x"],
        ["read_lineage (the picture's reader)", f"{reader:.2f}", f"{reader / analysis:.2f}x"],
        ["build_events", f"{builder:.2f}", f"{builder / analysis:.2f}x"],
        ["build_events + events_to_json", f"{both:.2f}", f"{both / analysis:.2f}x"],
    ]))


if __name__ == "__main__":
    main()
