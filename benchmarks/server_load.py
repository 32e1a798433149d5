"""Submits per second and submit latency of the local server under concurrent clients, beside an empty endpoint.

Each run starts a fresh server on a free loopback port and a fresh database, then runs ``--clients``
threads (each its own ``httpx.Client``) that send ``--submits`` submits each: 1-3 files of random SQL,
about 30% of them incremental onto an earlier job of the same client (``tests/support/load_client.py``).
Three servers take the same load, in turns, ``--runs`` times each:

* ``sqlflow-magic serve``: the real command, job worker on (it analyses jobs while the load runs);
* ``store only``: the same app with ``run_worker=False`` (HTTP, parameter checks, token, SQLite commit);
* ``empty endpoint``: a bare Starlette app under the same uvicorn settings that reads the multipart
  form and answers ``{}`` (the peer of the issue's target: within 2x of its latency).

Every figure is the median over the runs; CPU is per submit, of the server process and of its analysis
processes (Linux ``/proc``). The load clients run in this process, on the same cores. Traffic goes to
127.0.0.1 only.

    python benchmarks/server_load.py [--clients 8] [--submits 250] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.load_client import (  # noqa: E402  (needs ROOT on sys.path)
    PREFIX,
    READY_LINE,
    SUBMIT_PATH,
    LoadPlan,
    ServerProcess,
    descendants,
    run_clients,
    write_users_file,
)

TARGET_RATIO = 2.0
VARIANTS = ("sqlflow-magic serve", "store only", "empty endpoint")


# -- the two extra servers (run as subprocesses of this script) -----------------------------------
def serve_store_only(db_path: Path, users_file: Path) -> None:
    """The local server's app with its job worker off, under the local server's uvicorn settings."""
    from sqlflow_magic.server.app import create_app
    from sqlflow_magic.server.config import ServerConfig, load_users_file
    from sqlflow_magic.server.runner import AppServer, listening_socket, uvicorn_config

    config = ServerConfig(db_path=db_path, users=load_users_file(users_file), run_worker=False,
                          max_queued_jobs_per_user=None)  # as the serve variant: the load queues ~175 jobs a user
    sock = listening_socket("127.0.0.1", 0)
    app = create_app(config)
    print(f"{READY_LINE}http://127.0.0.1:{sock.getsockname()[1]}{PREFIX}", flush=True)
    AppServer(uvicorn_config(app)).run(sockets=[sock])


def serve_empty_endpoint() -> None:
    """A bare Starlette app: the submit path reads the multipart form (files included) and answers ``{}``."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.datastructures import UploadFile
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from sqlflow_magic.server.runner import listening_socket, uvicorn_config

    async def submit(request: Request) -> Response:
        async with request.form() as form:
            for _name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    await value.read()
        return JSONResponse({})

    async def token(_request: Request) -> Response:  # so the load client runs exactly as against the server
        return JSONResponse({"code": "200", "token": "none"})

    routes = [
        Route(SUBMIT_PATH, submit, methods=["POST"]),
        Route(f"{PREFIX}/user/generateToken", token, methods=["POST"]),
    ]
    sock = listening_socket("127.0.0.1", 0)
    print(f"{READY_LINE}http://127.0.0.1:{sock.getsockname()[1]}{PREFIX}", flush=True)
    uvicorn.Server(uvicorn_config(Starlette(routes=routes))).run(sockets=[sock])


# -- measuring --------------------------------------------------------------------------------
@dataclass
class RunResult:
    """One run of the load against one server."""

    submits: int
    accepted: int
    seconds: float
    latencies_ms: list[float]
    server_cpu: float  # seconds of CPU the server process used during the load
    analysis_cpu: float  # seconds of CPU its analysis processes used (started during the load)

    @property
    def per_second(self) -> float:
        """Submits per second over the whole run."""
        return self.submits / self.seconds


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` from 0 to 1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``; 0 elsewhere or once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_for(variant: str, folder: Path, users_file: Path) -> ServerProcess:
    """A not yet started server of ``variant`` on a fresh database in ``folder``."""
    db_path = folder / "jobs.sqlite3"
    script = [sys.executable, str(Path(__file__).resolve())]
    argv = {
        "sqlflow-magic serve": None,
        "store only": [*script, "--serve", "store-only", "--db", str(db_path), "--users-file", str(users_file)],
        "empty endpoint": [*script, "--serve", "empty"],
    }[variant]
    # the load queues about 175 jobs per user, more than max_queued_jobs_per_user lets in: this measures submits
    return ServerProcess(db_path, users_file, argv=argv, log_path=folder / "server.log",
                         options=["--max-queued-jobs-per-user", "0"])


def run_once(variant: str, clients: int, plan: LoadPlan) -> RunResult:
    """Start a fresh server of ``variant``, run the load against it, stop it."""
    users = {f"bench-{number}@example.com": f"sk-bench-{number}" for number in range(clients)}
    with tempfile.TemporaryDirectory(prefix="sqlflow-server-load-") as folder:
        server = server_for(variant, Path(folder), write_users_file(Path(folder) / "users.json", users)).start()
        try:
            cpu_before = cpu_seconds(server.pid)
            started = time.perf_counter()
            runs = run_clients(server.base_url, list(users.items()), plan, timeout=900)
            seconds = time.perf_counter() - started
            server_cpu = cpu_seconds(server.pid) - cpu_before
            analysis_cpu = sum(cpu_seconds(child) for child in descendants(server.pid))
        finally:
            server.stop()
    failures = [run.failure for run in runs if run.failure]
    if failures:
        raise RuntimeError(f"{variant}: {failures[0]}")
    records = [record for run in runs for record in run.records]
    accepted = sum(record.accepted or record.http_status == 200 for record in records)
    latencies = [record.latency * 1000 for record in records]
    return RunResult(len(records), accepted, seconds, latencies, server_cpu, analysis_cpu)


def summary_row(variant: str, results: list[RunResult]) -> list[str]:
    """Median over runs of throughput and latency percentiles."""

    def median_of(pick: Callable[[RunResult], float]) -> float:
        return statistics.median(pick(result) for result in results)

    figures = [
        median_of(lambda r: r.per_second),
        median_of(lambda r: percentile(r.latencies_ms, 0.50)),
        median_of(lambda r: percentile(r.latencies_ms, 0.90)),
        median_of(lambda r: percentile(r.latencies_ms, 0.99)),
        median_of(lambda r: max(r.latencies_ms)),
        median_of(lambda r: r.server_cpu * 1000 / r.submits),
        median_of(lambda r: r.analysis_cpu * 1000 / r.submits),
    ]
    answered = f"{min(r.accepted for r in results)}/{results[0].submits}"
    return [variant, answered, *(f"{value:.1f}" for value in figures)]


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--submits", type=int, default=250, help="submits per client (default 250)")
    parser.add_argument("--runs", type=int, default=3, help="runs per server; medians are shown (default 3)")
    parser.add_argument("--serve", choices=("store-only", "empty"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--users-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve == "store-only":
        serve_store_only(args.db, args.users_file)
        return 0
    if args.serve == "empty":
        serve_empty_endpoint()
        return 0
    plan = LoadPlan(submits=args.submits)
    print(
        f"{args.clients} clients x {args.submits} submits, {args.runs} runs per server, in turns; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start\n"
    )
    results: dict[str, list[RunResult]] = {variant: [] for variant in VARIANTS}
    for number in range(args.runs):
        for variant in VARIANTS:
            result = run_once(variant, args.clients, plan)
            results[variant].append(result)
            print(
                f"  run {number + 1} {variant}: {result.per_second:.0f} submits/s, "
                f"p50 {percentile(result.latencies_ms, 0.5):.1f} ms",
                flush=True,
            )
    header = [
        "server",
        "answered 200",
        "submits/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "server CPU ms/submit",
        "analysis CPU ms/submit",
    ]
    print("\n" + table(header, [summary_row(variant, results[variant]) for variant in VARIANTS]))
    ours, peer = results["sqlflow-magic serve"], results["empty endpoint"]
    verdicts = []
    for label, share in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        ratio = statistics.median(percentile(r.latencies_ms, share) for r in ours) / statistics.median(
            percentile(r.latencies_ms, share) for r in peer
        )
        verdicts.append(
            [
                f"{label} latency, ours / empty endpoint",
                f"{ratio:.2f}x",
                f"<= {TARGET_RATIO:g}x",
                "met" if ratio <= TARGET_RATIO else "NOT met",
            ]
        )
    cpu = statistics.median(r.server_cpu for r in ours) / max(1e-9, statistics.median(r.server_cpu for r in peer))
    verdicts.append(["(context) server CPU per submit, ours / empty endpoint", f"{cpu:.2f}x", "-", "-"])
    print("\n" + table(["target", "measured", "goal", "verdict"], verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
