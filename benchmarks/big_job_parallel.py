"""One big job in batches across processes against one analysis in one process (prints; not a test).

Three figures, each the median of ``--runs`` alternating runs with the range beside it:

1. **Engine alone**: ``analyze`` in this process against the first pass and cuts here, the batches in a
   process pool (``analysis_batches.analyse_batch``), merged here once all have ended or as each ends
   (``OrderedMerge``); no exports. Estimated wall seconds on idle cores as below, over this process and
   the workers. Every process sets its collector as the server's analysis processes do.
2. **Pipeline**: the generated ``--mb`` MB script of ``lineage_throughput.py`` through what the server's
   worker runs, without HTTP and the store: the server's own pool (``--processes`` analysis processes,
   one more for the merge) with ``analysis_batches.plan_job`` and ``job_batches.run_batches``, against
   ``plan_job`` on one process with ``parallel_analysis_from_bytes=0``. Both render the job's exports.
   Three variants take turns: one process, batches merged after the last one ends (a pool without
   the merge's own process, as before 2026-12-07), and batches merged as they end (with two of the
   exports rendered on a shared process meanwhile, ``export_rendering.py``). The outcomes are checked
   equal (their lineage JSON, and every result but the session ids) once.
3. **Job** (``--skip-job`` leaves it out): the same script submitted to a local server (two analysis
   processes) with ``parallel_analysis_from_bytes=0`` (one process) and with the default, timed from
   the submit to the final status, which includes storing the job's results.

Beside the wall times: the wall time each run would take on two idle cores, estimated from the CPU time
of every process involved (this one too: it moves the tasks and their results), read every 10 ms from
``/proc/<pid>/task/*/schedstat``, in three phases (``on_idle_cores``): the plan, the batches (until
the last one is answered), then the rest (the last merge, the exports); each phase's CPU seconds
shared by two cores, or its busiest process's if more. Read that on a machine other work shares.

Run it with the Python whose sqlglot you measure (the compiled one: a venv with ``sqlglotc``):

    python benchmarks/big_job_parallel.py [--mb 5] [--runs 3] [--processes 2] [--skip-job] [--skip-engine]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from lineage_throughput import generated_script

from sqlflow_magic.server import EmbeddedServer, ServerConfig
from sqlflow_magic.server.analysis import JobOutcome, warm_up
from sqlflow_magic.server.analysis_batches import BatchTask, analyse_batch, plan_job
from sqlflow_magic.server.engine_build import engine_build
from sqlflow_magic.server.job_batches import run_batches
from sqlflow_magic.server.lineage import SqlSource, analyze, choose_dialect, to_sqlflow_json
from sqlflow_magic.server.lineage.batches import OrderedMerge, describe, plan_batches
from sqlflow_magic.server.lineage.engine import batch_start, first_pass
from sqlflow_magic.server.pool import AnalysisPool
from sqlflow_magic.server.pool_child import collections_paused, tune_collector
from sqlflow_magic.server.records import AnalysisRequest, SqlFile
from sqlflow_magic.server.store import lineage_kind

VENDOR = "dbvpostgresql"
USER, SECRET = "bench-user", "bench-secret-key-0123456789"
TICK = os.sysconf("SC_CLK_TCK")
BATCH_BYTES = ServerConfig.parallel_batch_bytes


def cpu_seconds(pid: int, skip: int | None = None) -> float:
    """Seconds a process's threads (but thread ``skip``) have run on a CPU so far, to the nanosecond
    (``/proc/<pid>/task/<tid>/schedstat``); 0 once it is gone."""
    total = 0
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in threads:
        if int(tid) == skip:
            continue
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except OSError:
            continue
    return total / 1e9


class Sampler:
    """The CPU seconds of some processes, read every 10 ms in a thread (whose own time is left out):
    ``(time, {pid: seconds})`` rows."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.rows = pids, []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me: int | None = None

    def _sample(self) -> None:
        self.rows.append((time.perf_counter(), {pid: cpu_seconds(pid, self._me) for pid in self.pids}))

    def _run(self) -> None:
        self._me = threading.get_native_id()
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


async def _nothing() -> AsyncIterator[object]:
    return
    yield  # an empty async iterator


async def pool_pids(pool: AnalysisPool) -> list[int]:
    """The process ids of the pool's processes (its merge process too), each started."""
    # run at once, the tasks take a process each: each holds it until it has answered
    shared = await asyncio.gather(*(pool.run(os.getpid, limit=60) for _ in range(pool.size)))
    fed = [await pool.run_fed(os.getpid, inputs=_nothing(), limit=60)] if pool.fed else []
    return sorted(set(shared)) + fed


def on_idle_cores(
    rows: list[tuple[float, dict[int, float]]], planned: float | None = None, batched: float | None = None,
    cores: int = 2,
) -> float:
    """The seconds the sampled run takes on ``cores`` idle cores, from its processes' CPU seconds.

    The run is cut in three phases: the plan (until ``planned``), the batches (until the last one was
    answered, ``batched``; the merge runs meanwhile or not), then the rest (the last merge, the exports).
    Each phase takes its CPU seconds shared by the cores, or its busiest process's if more. Phases, not
    short windows: on a machine other work shares, the scheduler runs the processes unevenly over any
    short window, which would count parallel work as serial.
    """
    def at(mark: float | None) -> int:
        return 0 if mark is None else next((i for i, row in enumerate(rows) if row[0] >= mark), len(rows) - 1)

    def cpu(first: dict[int, float], last: dict[int, float]) -> float:
        spent = [last[pid] - first[pid] for pid in last]
        return max(sum(spent) / cores, max(spent))

    start, end = at(planned), at(batched)
    return cpu(rows[0][1], rows[start][1]) + cpu(rows[start][1], rows[end][1]) + cpu(rows[end][1], rows[-1][1])


def _busiest(first: tuple[float, dict[int, float]], last: tuple[float, dict[int, float]]) -> list[float]:
    """The CPU seconds of each process between two samples, the busiest first."""
    return sorted((last[1][pid] - first[1][pid] for pid in last[1]), reverse=True)


class TimedPool(AnalysisPool):
    """The server's pool, noting when the last batch was answered (the benchmark's phases)."""

    last_batch = 0.0

    async def run(self, fn: Any, *args: Any, limit: float | None) -> Any:
        answer = await super().run(fn, *args, limit=limit)
        if fn is analyse_batch:
            self.last_batch = time.perf_counter()
        return answer


def request_for(script: str) -> AnalysisRequest:
    return AnalysisRequest(files=(SqlFile("big.sql", script.encode()),), dbvendor=VENDOR, job_id="job")


async def one_process(
    pool: AnalysisPool, request: AnalysisRequest, pids: list[int]
) -> tuple[JobOutcome, float, float, float]:
    """The outcome, wall seconds, estimated seconds on idle cores and CPU seconds of the job in one process."""
    task = functools.partial(plan_job, processes=1, from_bytes=0, batch_bytes=BATCH_BYTES)
    with Sampler(pids) as sampler:
        started = time.perf_counter()
        outcome = await pool.run(task, request, limit=None)
        wall = time.perf_counter() - started
    rows = sampler.rows
    return outcome, wall, on_idle_cores(rows), sum(rows[-1][1][pid] - rows[0][1][pid] for pid in pids)


async def in_batches(
    pool: TimedPool, request: AnalysisRequest, pids: list[int]
) -> tuple[JobOutcome, float, float, dict[str, float]]:
    """The outcome, wall seconds, estimated seconds on idle cores, and the estimate's parts."""
    plan_task = functools.partial(plan_job, processes=pool.size, from_bytes=1, batch_bytes=BATCH_BYTES)
    with Sampler(pids) as sampler:
        started = time.perf_counter()
        plan = await pool.run(plan_task, request, limit=None)
        planned = time.perf_counter()
        outcome = await run_batches(pool, plan, time.monotonic() + 600, time_message="time", memory_message="memory")
        wall = time.perf_counter() - started
    rows = sampler.rows
    cut = next(index for index, row in enumerate(rows) if row[0] >= planned)
    last = next((index for index, row in enumerate(rows) if row[0] >= pool.last_batch), len(rows) - 1)
    parts = {"plan (first pass, cuts)": on_idle_cores(rows[: cut + 1]),
             "batches (until the last one ends)": on_idle_cores(rows[cut : last + 1]),
             "after the last batch (merge, exports)": on_idle_cores(rows[last:]),
             **{f"  the same, CPU of its {rank} busiest process": seconds
                for rank, seconds in zip(("1st", "2nd", "3rd"), _busiest(rows[last], rows[-1]), strict=False)},
             "CPU seconds, all processes": sum(rows[-1][1][pid] - rows[0][1][pid] for pid in pids)}
    return outcome, wall, on_idle_cores(rows, planned, pool.last_batch), parts


def _batch(args: tuple) -> bytes:
    """One batch in a worker, as the server's analysis process runs it."""
    files, parts, start = args
    return analyse_batch(BatchTask(tuple(files), tuple(parts), VENDOR, start, None))


def children() -> list[int]:
    """The process ids of this process's children."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def engine_in_batches(
    files: list[SqlSource], pool: ProcessPoolExecutor, processes: int, streamed: bool
) -> tuple[object, float, float]:
    """The merged result of the engine alone (no exports), when its plan was made and when the last batch
    ended: first pass and cuts here, batches in ``pool``, merged here as each ends (``streamed``) or once
    all have."""
    found = first_pass(files, VENDOR)
    planned = plan_batches(files, processes * 3, choose_dialect(VENDOR).batch_separator)
    tasks = [(files, parts, batch_start(found, *parts[0][:2], VENDOR)) for parts in planned]
    made = time.perf_counter()
    last = made
    merging = OrderedMerge([describe(files, parts) for parts in planned], VENDOR, "")
    futures = {pool.submit(_batch, task): index for index, task in enumerate(tasks)}
    with collections_paused():  # as the server's merge task runs it
        for future in as_completed(futures) if streamed else _all_then_each(futures):
            last = time.perf_counter()
            merging.add(futures[future], future.result())
    return merging.result, made, last


def _all_then_each(futures: dict[Future[bytes], int]) -> list[Future[bytes]]:
    return list(as_completed(futures))


def bench_engine(script: str, runs: int, processes: int) -> None:
    """The engine alone, as the figure before 2026-12-07 (``docs/performance.md``): no exports."""
    files = [SqlSource("big.sql", script)]
    tune_collector()  # the collector as the server's analysis processes set it, here and in the workers
    names = ("one process", "merged after the batches", "merged as batches end")
    walls: dict[str, list[float]] = {name: [] for name in names}
    idle: dict[str, list[float]] = {name: [] for name in names}
    with ProcessPoolExecutor(processes, initializer=tune_collector) as pool:
        warm = ([SqlSource("warm.sql", "SELECT 1;")], [(0, 0, 9)], batch_start(first_pass([], VENDOR), 0, 0, VENDOR))
        list(pool.map(_batch, [warm] * processes))  # the processes start and import the engine first
        pids = [os.getpid(), *children()]
        for run in range(runs):
            for name in names:
                planned = batched = None
                with Sampler(pids) as sampler:
                    started = time.perf_counter()
                    if name == "one process":
                        one = analyze(files, VENDOR)
                    else:
                        merged, planned, batched = engine_in_batches(files, pool, processes, name != names[1])
                    walls[name].append(time.perf_counter() - started)
                idle[name].append(on_idle_cores(sampler.rows, planned, batched))
                print(f"  run {run + 1}, engine, {name}: {walls[name][-1]:.2f} s, {idle[name][-1]:.2f} s on idle cores",
                      flush=True)
                if run == 0 and name != "one process":
                    print(f"engine, {name}: result equal to one analysis: {exported(merged) == exported(one)}")
            del one, merged
    print_ratios("engine alone", walls, idle)


def exported(result: object) -> str:
    answer = to_sqlflow_json(result, job_id="job", now_ms=1)  # type: ignore[arg-type]
    answer.pop("sessionId", None)
    return json.dumps(answer, sort_keys=True)


def print_ratios(what: str, walls: dict[str, list[float]], idle: dict[str, list[float]]) -> None:
    for title, figures in ((f"{what}: wall seconds (other work shares the cores)", walls),
                           (f"{what}: estimated wall seconds on two idle cores, from CPU seconds", idle)):
        print(title)
        for name, values in figures.items():
            line = f"  {name:<26} {statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"
            if name != "one process":
                ratios = [v / o for v, o in zip(values, figures["one process"], strict=True)]
                line += f"   ratio {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) target <= 0.6"
            print(line)


def lineage_of(outcome: JobOutcome) -> object:
    answer = json.loads(outcome.results[lineage_kind(False)])
    answer.pop("sessionId", None)
    return answer


def exports_of(outcome: JobOutcome) -> dict[str, object]:
    """Every result of the job (lineage, prerendered exports), the session ids left out."""
    found: dict[str, object] = {}
    for kind, body in outcome.results.items():
        if body.startswith(b"{"):
            answer = json.loads(body)
            answer.pop("sessionId", None)
            found[kind] = answer
        else:
            found[kind] = body
    return found


async def bench_pipeline(script: str, runs: int, processes: int) -> None:
    request = request_for(script)
    variants = {"merged after the batches": TimedPool(processes, initializer=warm_up),
                "merged as batches end": TimedPool(processes, fed=1, initializer=warm_up)}
    for pool in variants.values():
        pool.start()
    try:
        me = os.getpid()  # the server's own process: it moves the tasks and their results
        pids = {name: [me, *await pool_pids(pool)] for name, pool in variants.items()}
        one_pool = variants["merged after the batches"]
        walls: dict[str, list[float]] = {"one process": [], **{name: [] for name in variants}}
        idle: dict[str, list[float]] = {name: [] for name in walls}
        parts: dict[str, list[dict[str, float]]] = {name: [] for name in walls}
        for run in range(runs):
            one, wall, estimate, cpu = await one_process(one_pool, request, pids["merged after the batches"])
            walls["one process"].append(wall)
            idle["one process"].append(estimate)
            parts["one process"].append({"CPU seconds, all processes": cpu})
            print(f"  run {run + 1}, job, one process: {wall:.2f} s, {estimate:.2f} s on idle cores", flush=True)
            for name, pool in variants.items():
                outcome, wall, estimate, split = await in_batches(pool, request, pids[name])
                walls[name].append(wall)
                idle[name].append(estimate)
                parts[name].append(split)
                print(f"  run {run + 1}, job, {name}: {wall:.2f} s, {estimate:.2f} s on idle cores", flush=True)
                if run == 0:
                    print(f"{name}: lineage equal to the one-process job's: {lineage_of(outcome) == lineage_of(one)}; "
                          f"all {len(one.results)} results equal: {exports_of(outcome) == exports_of(one)}")
                del outcome
            del one
    finally:
        for pool in variants.values():
            await pool.close()
    print_ratios("job (analysis and exports)", walls, idle)
    for name, rows in parts.items():
        print(f"parts, {name} (seconds on two idle cores, medians):")
        for part in rows[0]:
            print(f"  {part:<34} {statistics.median(row[part] for row in rows):7.2f}")


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
    parser.add_argument("--skip-job", action="store_true", help="leave out the job through a server")
    parser.add_argument("--skip-engine", action="store_true", help="leave out the engine alone")
    options = parser.parse_args()
    script = generated_script(int(options.mb * 1_000_000))
    print(f"lineage engine: {engine_build()}; Python {sys.version.split()[0]}; script {len(script) / 1e6:.1f} MB")
    if not options.skip_engine:
        bench_engine(script, options.runs, options.processes)
    asyncio.run(bench_pipeline(script, options.runs, options.processes))
    if not options.skip_job:
        bench_job(script, options.runs)


if __name__ == "__main__":
    main()
