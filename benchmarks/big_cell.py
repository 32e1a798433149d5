"""A 50 MiB cell: peak memory and wall time of ``%%sqlflow_submit`` beside raw ``httpx`` posting the same bytes.

Every sample runs in a fresh process, the variants alternating (rotated order), so one variant's
peak never hides another's. In each process the cell (ASCII SQL of exactly ``--mib`` MiB, built in one
allocation) and the variant's warm-up (imports, token, connection: a small submit) come first; then
the peak-RSS counter is reset (``/proc/self/clear_refs``, Linux) and the measured step runs. Memory
is the process's peak RSS during that step over its RSS just before (``VmHWM`` - ``VmRSS``; where
``clear_refs`` is unavailable, ``ru_maxrss`` deltas, which can under-count). The cell itself is in
the baseline: the figure is what the submit adds on top of holding the cell.

Variants:

- ``%%sqlflow_submit`` (ours, the target): ``shell.run_cell_magic("sqlflow_submit", "", cell)`` in an
  ``InteractiveShell``, panel included (formatted; the display publisher only counts);
- ``raw httpx`` (the peer): ``cell.encode("utf-8")`` and ``httpx.Client.post`` of it as the
  ``sqlfiles`` part with the same form fields, then ``response.json()``;
- context: ``raw httpx, bytes ready`` (the bytes encoded before the baseline: httpx's own cost);
  IPython's ``transform_cell`` of ``"%%sqlflow_submit\\n" + cell``, the input transformation that
  ``run_cell`` applies to every cell before any magic runs (nothing is sent); and ``run_cell`` of the
  cell under a cell magic that does nothing (``%%noop``): all IPython costs a notebook cell of that
  size pays before ``%%sqlflow_submit`` gets it (transformation, compiling the call, running it).

The server is the local ``EmbeddedServer`` in its own process (job worker off, ``max_upload_bytes``
set to fit the cell).

Targets: peak memory of ``%%sqlflow_submit`` at most 2x the payload; wall time at most 1.2x raw httpx's.

    python benchmarks/big_cell.py [--mib 50] [--samples 5] [--ipython-samples 2] [--strict]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    CELL_CONTENT_TYPE,
    SUBMIT_FIELDS,
    USER_ID,
    child_env,
    configure_shell,
    fetch_token,
    machine_info,
    median,
    quiet_display,
    server_process,
    table,
    verdict,
)

TARGET_MEMORY_RATIO = 2.0
TARGET_WALL_RATIO = 1.2
MIB = 1024 * 1024
OURS, RAW, RAW_BYTES = "%%sqlflow_submit", "raw httpx", "raw httpx, bytes ready"
TRANSFORM, RUN_CELL = "IPython transform_cell", "IPython run_cell, no-op %%cell magic"
VARIANTS = (OURS, RAW, RAW_BYTES)


# --- the child: one variant, one sample ---------------------------------------------------------


def make_cell(size: int) -> str:
    """ASCII SQL of exactly ``size`` bytes (a multiple of 64), allocated once."""
    line = "insert into sales select id, amount from staging where id > 10;\n"
    if len(line) != 64 or size % 64:
        raise ValueError(f"the cell size must be a multiple of 64 bytes, not {size}")
    return line * (size // 64)


def _status_kib(field: str) -> int | None:
    try:
        for text in Path("/proc/self/status").read_text().splitlines():
            if text.startswith(field + ":"):
                return int(text.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux 4.0+); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


class PeakMeter:
    """Peak RSS during a block over the RSS just before it, in bytes."""

    def __enter__(self) -> PeakMeter:
        import gc

        gc.collect()
        self.exact = _reset_peak()
        if self.exact:
            self.before = (_status_kib("VmRSS") or 0) * 1024
        else:
            self.before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.start
        if self.exact:
            after = (_status_kib("VmHWM") or 0) * 1024
        else:
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.added = max(0, after - self.before)


def _noop(line: str, cell: str) -> None:
    """A cell magic that does nothing: what IPython costs before any magic runs."""


def child(variant: str, url: str, token: str, size: int) -> dict[str, object]:
    import httpx

    cell = make_cell(size)
    fields = {**SUBMIT_FIELDS, "userId": USER_ID, "token": token}
    endpoint = f"{url}/sqlflow/job/submitPersistJob"
    job_id = ""
    if variant == OURS:
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        published = quiet_display(shell)
        shell.run_line_magic("load_ext", "sqlflow_magic")
        configure_shell(shell, url)
        shell.run_cell_magic("sqlflow_submit", "", "select 1 from dual;\n")  # warm-up
        with PeakMeter() as meter:
            shell.run_cell_magic("sqlflow_submit", "", cell)
        job_id = str(shell.user_ns["sqlflow_job_id"])
        if len(published) != 2:
            raise RuntimeError("%%sqlflow_submit displayed no panel")
    elif variant in (RAW, RAW_BYTES):
        http = httpx.Client(timeout=600)

        def post(body: bytes) -> str:
            answer = http.post(endpoint, data=fields, files=[("sqlfiles", ("cell.sql", body, CELL_CONTENT_TYPE))])
            answer.raise_for_status()
            return str(answer.json()["data"]["jobId"])

        post(b"select 1 from dual;\n")  # warm-up
        ready = cell.encode("utf-8") if variant == RAW_BYTES else b""
        with PeakMeter() as meter:
            job_id = post(ready or cell.encode("utf-8"))
    elif variant == TRANSFORM:
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.transform_cell("%%sqlflow_submit\nselect 1 from dual;\n")  # warm-up
        source = "%%sqlflow_submit\n" + cell
        with PeakMeter() as meter:
            shell.transform_cell(source)
    elif variant == RUN_CELL:
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.magics_manager.register_function(_noop, magic_kind="cell", magic_name="noop")
        shell.run_cell("%%noop\nselect 1 from dual;\n", store_history=False).raise_error()  # warm-up
        source = "%%noop\n" + cell
        with PeakMeter() as meter:
            result = shell.run_cell(source, store_history=False)
        result.raise_error()
    else:
        raise ValueError(variant)
    if variant in VARIANTS and len(job_id) != 32:
        raise RuntimeError(f"{variant}: no jobId in the answer")
    return {"wall": meter.wall, "added": meter.added, "exact": meter.exact}


# --- the parent ---------------------------------------------------------------------------------


def run_child(variant: str, url: str, token: str, size: int, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            variant,
            "--url",
            url,
            "--token",
            token,
            "--bytes",
            str(size),
        ],
        env=env,
        cwd=env["IPYTHONDIR"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{variant} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--mib", type=int, default=50, help="cell size in MiB (default 50)")
    parser.add_argument("--samples", type=int, default=5, help="fresh processes per variant (default 5)")
    parser.add_argument(
        "--ipython-samples", type=int, default=2, help="samples of each IPython-only context (default 2; 0 skips)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.url, args.token, args.bytes)))
        return 0
    if args.samples < 1 or args.mib < 1:
        parser.error("--samples and --mib must be at least 1")
    size = args.mib * MIB
    print(f"Machine: {machine_info()}")
    print(
        f"{args.mib} MiB cell ({size:,} bytes of ASCII SQL), {args.samples} fresh processes per variant, "
        "alternating; server in its own process\n"
    )
    results: dict[str, list[dict[str, float]]] = {name: [] for name in (*VARIANTS, TRANSFORM, RUN_CELL)}
    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-big-") as folder:
        env = child_env(Path(folder) / "pycache", Path(folder) / "ipython")
        with server_process(max_upload_bytes=2 * size + 16 * MIB) as url:
            token = fetch_token(url)
            run_child(RAW, url, token, 64 * 1024, env)  # fills the bytecode caches; discarded
            run_child(OURS, url, token, 64 * 1024, env)
            for i in range(args.samples):
                shift = i % len(VARIANTS)
                for name in VARIANTS[shift:] + VARIANTS[:shift]:
                    results[name].append(run_child(name, url, token, size, env))
            for _ in range(args.ipython_samples):
                for name in (TRANSFORM, RUN_CELL):
                    results[name].append(run_child(name, url, token, size, env))
    met = report(results, size)
    return 1 if args.strict and not met else 0


def report(results: dict[str, list[dict[str, float]]], size: int) -> bool:
    raw_wall = median([r["wall"] for r in results[RAW]])
    rows = []
    for name, samples in results.items():
        if not samples:
            continue
        wall = median([r["wall"] for r in samples])
        added = median([r["added"] for r in samples])
        role = {OURS: "ours (target)", RAW: "peer"}.get(name, "context")
        rows.append(
            [name, role, f"{wall * 1000:.0f}", f"{wall / raw_wall:.2f}x", f"{added / MIB:.1f}", f"{added / size:.2f}x"]
        )
    print(table(["variant", "role", "wall ms (median)", "vs raw httpx", "peak RSS added MiB", "x payload"], rows))
    exact = all(r["exact"] for samples in results.values() for r in samples)
    print(
        "(peak RSS over the RSS just before the step: VmHWM after a clear_refs reset)"
        if exact
        else "(peak RSS from ru_maxrss deltas: /proc/self/clear_refs was not available)"
    )
    ours_wall = median([r["wall"] for r in results[OURS]])
    ours_added = median([r["added"] for r in results[OURS]])
    memory_ratio, wall_ratio = ours_added / size, ours_wall / raw_wall
    print()
    print(
        table(
            ["target", "measured", "goal", "verdict"],
            [
                [
                    "%%sqlflow_submit peak memory / payload",
                    f"{memory_ratio:.2f}x",
                    f"<= {TARGET_MEMORY_RATIO}x",
                    verdict(memory_ratio <= TARGET_MEMORY_RATIO),
                ],
                [
                    "%%sqlflow_submit wall / raw httpx wall",
                    f"{wall_ratio:.2f}x",
                    f"<= {TARGET_WALL_RATIO}x",
                    verdict(wall_ratio <= TARGET_WALL_RATIO),
                ],
            ],
        )
    )
    return memory_ratio <= TARGET_MEMORY_RATIO and wall_ratio <= TARGET_WALL_RATIO


if __name__ == "__main__":
    sys.exit(main())
