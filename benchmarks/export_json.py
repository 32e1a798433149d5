"""The exports' JSON written and read by orjson against Python's json, on a big job's answers (prints; not a test).

The answers are those a job's analysis writes (``export_rendering.render_exports``) for the generated
``--mb`` MB script of ``lineage_throughput.py`` at column level: its complete lineage at both levels and
the two prerendered views' JSON (the default view and ``fdd,fdr``, their graph drawn). Each is written
by ``json_text.encode_with_json`` (Python's json, the peer) and by ``orjson.dumps``, taking turns, and
the column-level lineage is read back by ``json.loads`` and ``orjson.loads`` (what an export of a stored
job does first). Collections stay paused while they run, as in the analysis processes. Printed: the
median of ``--runs`` CPU seconds with the range, the ratio, and whether both wrote the same bytes.

Run it with the Python of a venv with the ``compiled`` extra (orjson):

    python benchmarks/export_json.py [--mb 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from lineage_throughput import generated_script

from sqlflow_magic.server.analysis import PRERENDERED, warm_up
from sqlflow_magic.server.exports import apply_view, job_answer
from sqlflow_magic.server.exports.json_text import encode_with_json
from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json
from sqlflow_magic.server.pool_child import collections_paused


def cpu_time_of(work: Callable[[], Any]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def answers(mb: float) -> dict[str, Any]:
    result = analyze([SqlSource("big.sql", generated_script(int(mb * 1_000_000)))], "dbvpostgresql", column_level=True)
    column = to_sqlflow_json(result, job_id="job", table_level=False, now_ms=1)
    found = {"lineage, column level": column,
             "lineage, table level": to_sqlflow_json(result, job_id="job", table_level=True, now_ms=1)}
    for options, form in PRERENDERED:
        if form == "json":
            found[f"view {options.key.split(';')[0]} ({form})"] = job_answer(apply_view(column, options))
    return found


def row(name: str, ours: list[float], peer: list[float], same: bool, size: int) -> str:
    """One figure: the median and range of both, their ratio, and whether both gave the same (bytes or value)."""
    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"

    ratio = statistics.median(p / o for p, o in zip(peer, ours, strict=True))
    return f"{name:<30} {size / 1e6:6.1f} MB  json {spread(peer)}  orjson {spread(ours)}  {ratio:5.1f}x  same: {same}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    warm_up()
    print(f"orjson {orjson.__version__}; the {args.mb:g} MB script at column level; CPU seconds, median (range)")
    with collections_paused():
        written = answers(args.mb)
        for name, answer in written.items():
            ours: list[float] = []
            peer: list[float] = []
            for _ in range(args.runs):
                peer.append(cpu_time_of(lambda: encode_with_json(answer)))  # noqa: B023  (called at once)
                ours.append(cpu_time_of(lambda: orjson.dumps(answer)))  # noqa: B023
            text = orjson.dumps(answer)
            print(row(f"write {name}", ours, peer, text == encode_with_json(answer), len(text)), flush=True)
        stored = orjson.dumps(written["lineage, column level"])
        ours, peer = [], []
        for _ in range(args.runs):
            peer.append(cpu_time_of(lambda: json.loads(stored)))
            ours.append(cpu_time_of(lambda: orjson.loads(stored)))
        print(row("read lineage, column level", ours, peer, json.loads(stored) == orjson.loads(stored), len(stored)))


if __name__ == "__main__":
    main()
