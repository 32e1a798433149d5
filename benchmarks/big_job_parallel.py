"""One big job in batches across processes against one analysis in one process (prints; not a test).

Two figures, each the median of ``--runs`` alternating runs with the range beside it:

1. **Engine**: the generated ``--mb`` MB script of ``lineage_throughput.py``, analysed by one process
   (``analyze``) against the batch pipeline on ``--processes`` processes: the plan (first pass and cuts)
   in this process, the batches in a process pool, the merge here. The merged result is checked
   equal to the one-process result (their exported JSON) once. Beside the wall times, CPU seconds:
   one process against the critical path (this process's CPU plus the busiest worker's), which is
   the wall time on idle cores and the figure to read on a machine other work shares. Every
   process sets its garbage collector up as the server's analysis processes do
   (``pool_child.tune_collector``), and a batch runs as there (``analysis_batches.analyse_batch``).
2. **Job** (``--skip-job`` leaves it out): the same script submitted to a local server (two analysis
   processes) with ``parallel_analysis_from_bytes=0`` (one process) and with the default, timed from
   the submit to the final status, which includes rendering and storing the job's exports.

Run it with the Python whose sqlglot you measure (the compiled one: a venv with ``sqlglotc``):

    python benchmarks/big_job_parallel.py [--mb 5] [--runs 3] [--processes 2] [--skip-job]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from lineage_throughput import generated_script

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.analysis_batches import BatchTask, analyse_batch, collections_paused
from sqlflow_magic.server.lineage import SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import describe, merge, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass
from sqlflow_magic.server.pool_child import tune_collector
from sqlflow_magic.server.sqlglot_build import sqlglot_build

VENDOR = "dbvpostgresql"
USER, SECRET = "bench-user", "bench-secret-key-0123456789"


def _batch(args: tuple) -> tuple[bytes, int, float]:
    """One batch in a worker, as the server's analysis process runs it: its result, the worker's pid and
    the CPU seconds it took."""
    files, parts, start = args
    cpu = time.process_time()
    result = analyse_batch(BatchTask(tuple(files), tuple(parts), VENDOR, start, None))
    return result, os.getpid(), time.process_time() - cpu


def in_batches(
    files: list[SqlSource], pool: ProcessPoolExecutor, processes: int
) -> tuple[object, dict[str, float], float]:
    """The merged result, the wall seconds of each step, and the critical path in CPU seconds: this
    process's own CPU plus the busiest worker's (what the wall time is on idle cores)."""
    cpu = time.process_time()
    marks = {"start": time.perf_counter()}
    found = first_pass(files, VENDOR)
    marks["first pass"] = time.perf_counter()
    planned = plan_batches(files, processes * 3, choose_dialect(VENDOR).batch_separator)
    tasks = [(files, parts, batch_start(found, *parts[0][:2], VENDOR)) for parts in planned]
    marks["plan"] = time.perf_counter()
    answers = list(pool.map(_batch, tasks))
    marks["batches"] = time.perf_counter()
    with collections_paused():  # as the server's merge task runs it
        merged = merge([answer[0] for answer in answers], [describe(files, parts) for parts in planned], VENDOR, "")
    marks["merge"] = time.perf_counter()
    names = list(marks)
    busiest: dict[int, float] = {}
    for _, pid, seconds in answers:
        busiest[pid] = busiest.get(pid, 0.0) + seconds
    critical = time.process_time() - cpu + max(busiest.values())
    return merged, {name: marks[name] - marks[previous] for previous, name in itertools.pairwise(names)}, critical


def exported(result: object) -> str:
    answer = to_sqlflow_json(result, job_id="job", now_ms=1)  # type: ignore[arg-type]
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)


def bench_engine(script: str, runs: int, processes: int) -> None:
    files = [SqlSource("big.sql", script)]
    one_times, batch_times, parts, one_cpu, critical = [], [], [], [], []
    tune_collector()  # the collector as the server's analysis processes set it, here and in the workers
    with ProcessPoolExecutor(processes, initializer=tune_collector) as pool:
        warm = ([SqlSource("warm.sql", "SELECT 1;")], [(0, 0, 9)], batch_start(first_pass([], VENDOR), 0, 0, VENDOR))
        list(pool.map(_batch, [warm] * processes))  # the processes start and import the engine first
        for run in range(runs):
            started, cpu = time.perf_counter(), time.process_time()
            one = analyze(files, VENDOR)
            one_times.append(time.perf_counter() - started)
            one_cpu.append(time.process_time() - cpu)
            started = time.perf_counter()
            merged, split, path = in_batches(files, pool, processes)
            batch_times.append(time.perf_counter() - started)
            parts.append(split)
            critical.append(path)
            if run == 0:
                same = merged is not None and exported(merged) == exported(one)
                print(f"merged result equal to the one-process result: {same}")
            del one, merged
    ratios = [b / o for b, o in zip(batch_times, one_times, strict=True)]
    print(f"one process      {statistics.median(one_times):7.2f} s  ({min(one_times):.2f}-{max(one_times):.2f})")
    print(f"{processes} processes      {statistics.median(batch_times):7.2f} s  "
          f"({min(batch_times):.2f}-{max(batch_times):.2f})")
    print(f"ratio            {statistics.median(ratios):7.2f}    ({min(ratios):.2f}-{max(ratios):.2f})  target <= 0.6")
    for name in parts[0]:
        values = [split[name] for split in parts]
        print(f"  {name:<14} {statistics.median(values):7.2f} s")
    cpu_ratios = [c / o for c, o in zip(critical, one_cpu, strict=True)]
    print("CPU seconds (the wall time on idle cores; read these when other work shares the machine):")
    print(f"one process      {statistics.median(one_cpu):7.2f} s")
    print(f"critical path    {statistics.median(critical):7.2f} s  (first pass, plan, merge, and the busiest worker)")
    print(f"ratio            {statistics.median(cpu_ratios):7.2f}    ({min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})")


def job_seconds(script: bytes, folder: Path, **settings: int) -> float:
    config = ServerConfig(db_path=folder / f"jobs-{time.monotonic_ns()}.sqlite3", users={USER: SECRET},
                          job_time_limit_seconds=600, **settings)  # type: ignore[arg-type]
    with EmbeddedServer(config) as server, httpx.Client(base_url=server.base_url, timeout=60) as client:
        prefix = "/gspLive_backend"
        token = client.post(f"{prefix}/user/generateToken", data={"userId": USER, "secretKey": SECRET}).json()["token"]
        fields = {"userId": USER, "token": token, "dbvendor": VENDOR}
        started = time.perf_counter()
        answer = client.post(f"{prefix}/sqlflow/job/submitPersistJob", data=fields,
                             files=[("sqlfiles", ("big.sql", script, "application/sql"))]).json()
        job = answer["data"]["jobId"]
        while True:
            summary = client.post(f"{prefix}/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job}).json()
            if summary["data"]["status"] in ("success", "partial_success", "fail"):
                return time.perf_counter() - started
            time.sleep(0.05)


def bench_job(script: str, runs: int) -> None:
    data = script.encode()
    one_times, batch_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            one_times.append(job_seconds(data, Path(folder), parallel_analysis_from_bytes=0))
            batch_times.append(job_seconds(data, Path(folder)))
    ratios = [b / o for b, o in zip(batch_times, one_times, strict=True)]
    print(f"job, one process {statistics.median(one_times):7.2f} s  ({min(one_times):.2f}-{max(one_times):.2f})")
    print(f"job, in batches  {statistics.median(batch_times):7.2f} s  ({min(batch_times):.2f}-{max(batch_times):.2f})")
    print(f"ratio            {statistics.median(ratios):7.2f}    ({min(ratios):.2f}-{max(ratios):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of the generated script")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--skip-job", action="store_true", help="only the engine figures")
    options = parser.parse_args()
    script = generated_script(int(options.mb * 1_000_000))
    print(f"sqlglot: {sqlglot_build()}; Python {sys.version.split()[0]}; script {len(script) / 1e6:.1f} MB")
    bench_engine(script, options.runs, options.processes)
    if not options.skip_job:
        bench_job(script, options.runs)


if __name__ == "__main__":
    main()
