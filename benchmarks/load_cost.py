"""What ``%load_ext sqlflow_magic`` adds to the start of a fresh IPython, beside JupySQL's ``%load_ext sql``.

Three variants, each sample a fresh ``python -c`` process, the variants alternating (rotated order):

- ``bare``: import IPython and create an ``InteractiveShell``;
- ``sqlflow_magic``: the same, then ``%load_ext sqlflow_magic``;
- ``jupysql``: the same, then ``%load_ext sql``.

Inside each process ``time.perf_counter`` times the ``%load_ext`` line alone; outside, the parent times
the whole process (interpreter start to exit). "Added" is the median ``%load_ext`` time (the primary
figure: the shell start before it is the same code in every variant); the differences of process wall
time and process CPU time (user + sys) to ``bare`` are shown beside it as cross-checks (they also count
interpreter shutdown; on a busy machine the CPU figures are the steadier ones).

JupySQL must be installed (``pip install jupysql``).

Every child gets bytecode caches in a private ``PYTHONPYCACHEPREFIX`` (warmed up by the first, discarded
samples), a fresh ``IPYTHONDIR`` and JupySQL's telemetry off (see ``_common.child_env``).

Targets: sqlflow_magic adds at most 30 ms, and at most 0.3x what JupySQL's load adds.

    python benchmarks/load_cost.py [--samples 21] [--warmup 2] [--strict]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import child_env, machine_info, median, percentile, table, verdict

TARGET_ADDED_MS = 30.0
TARGET_RATIO = 0.3
#: variant -> the extension loaded (None: a bare shell) and a magic it must have registered.
VARIANTS: dict[str, tuple[str | None, str | None]] = {
    "bare IPython": (None, None),
    "sqlflow_magic": ("sqlflow_magic", "sqlflow_submit"),
    "JupySQL (sql)": ("sql", "sql"),
}
CHILD = r"""
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t1, c1 = time.perf_counter(), time.process_time()
extension, magic = sys.argv[1], sys.argv[2]
if extension:
    shell.run_line_magic("load_ext", extension)
t2, c2 = time.perf_counter(), time.process_time()
if magic and magic not in shell.magics_manager.magics["cell"]:
    sys.exit(f"%load_ext {extension} did not register %%{magic}")
print("RESULT " + json.dumps({"shell": t1 - t0, "load": t2 - t1, "load_cpu": c2 - c1}))
"""


@dataclass
class Samples:
    load_ms: list[float] = field(default_factory=list)
    load_cpu_ms: list[float] = field(default_factory=list)
    shell_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    process_cpu_ms: list[float] = field(default_factory=list)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(extension: str | None, magic: str | None, env: dict[str, str], into: Samples | None) -> None:
    """One fresh process; its figures are added to ``into`` (None: a warm-up, discarded)."""
    start, start_cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, extension or "", magic or ""],
        env=env,
        cwd=env["IPYTHONDIR"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall, process_cpu = (time.perf_counter() - start) * 1000, (_children_cpu() - start_cpu) * 1000
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"variant {extension or 'bare'} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    if into is not None:
        into.load_ms.append(result["load"] * 1000)
        into.load_cpu_ms.append(result["load_cpu"] * 1000)
        into.shell_ms.append(result["shell"] * 1000)
        into.wall_ms.append(wall)
        into.process_cpu_ms.append(process_cpu)


def measure(samples: int, warmup: int) -> dict[str, Samples]:
    names = list(VARIANTS)
    results = {name: Samples() for name in names}
    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-load-") as folder:
        env = child_env(Path(folder) / "pycache", Path(folder) / "ipython")
        for _ in range(warmup):  # fills the bytecode caches
            for name in names:
                run_once(*VARIANTS[name], env, None)
        for i in range(samples):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                run_once(*VARIANTS[name], env, results[name])
    return results


def report(results: dict[str, Samples]) -> bool:
    bare, ours, peer = (results[name] for name in VARIANTS)
    bare_wall, bare_cpu = median(bare.wall_ms), median(bare.process_cpu_ms)
    rows = []
    for name, s in results.items():
        if s is bare:
            rows.append(
                [name, "-", "-", "-", f"{median(s.shell_ms):.1f}", f"{bare_wall:.1f}", "-", f"{bare_cpu:.1f}", "-"]
            )
            continue
        rows.append(
            [
                name,
                f"{median(s.load_ms):.1f}",
                f"{percentile(s.load_ms, 90):.1f}",
                f"{median(s.load_cpu_ms):.1f}",
                f"{median(s.shell_ms):.1f}",
                f"{median(s.wall_ms):.1f}",
                f"{median(s.wall_ms) - bare_wall:+.1f}",
                f"{median(s.process_cpu_ms):.1f}",
                f"{median(s.process_cpu_ms) - bare_cpu:+.1f}",
            ]
        )
    print(
        table(
            [
                "variant",
                "%load_ext ms",
                "p90",
                "its CPU ms",
                "shell start ms",
                "process wall ms",
                "vs bare",
                "process CPU ms",
                "vs bare",
            ],
            rows,
        )
    )
    print("(medians in ms; %load_ext timed inside the process; process wall and CPU (user+sys) from outside)")
    added, ratio = median(ours.load_ms), median(ours.load_ms) / median(peer.load_ms)
    checks = [
        ("added by %load_ext sqlflow_magic", added, TARGET_ADDED_MS, " ms"),
        ("ratio to JupySQL's %load_ext sql", ratio, TARGET_RATIO, "x"),
    ]
    for what, values, base in (("process wall", "wall_ms", bare_wall), ("process CPU", "process_cpu_ms", bare_cpu)):
        ours_added = median(getattr(ours, values)) - base
        peer_added = median(getattr(peer, values)) - base
        checks.append((f"(cross-check) {what} added", ours_added, TARGET_ADDED_MS, " ms"))
        checks.append((f"(cross-check) {what} ratio", ours_added / max(1e-9, peer_added), TARGET_RATIO, "x"))
    print()
    print(
        table(
            ["target", "measured", "goal", "verdict"],
            [
                [
                    what,
                    f"{value:.3f}x" if unit == "x" else f"{value:.1f} ms",
                    f"<= {goal:g}{unit}",
                    verdict(value <= goal),
                ]
                for what, value, goal, unit in checks
            ],
        )
    )
    return added <= TARGET_ADDED_MS and ratio <= TARGET_RATIO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--samples", type=int, default=21, help="fresh processes per variant (default 21)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded rounds that warm the caches (default 2)")
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    if importlib.util.find_spec("sql") is None:
        parser.error("JupySQL, the peer, is not installed: pip install jupysql")
    print(f"Machine: {machine_info()}")
    print(f"{args.samples} samples per variant (after {args.warmup} warm-up rounds), variants alternating\n")
    met = report(measure(args.samples, args.warmup))
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
