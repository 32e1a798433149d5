"""What a hostile server costs the kernel (issue 17, break 9): how long ``%sqlflow_jobs`` waits on an answer
trickled 1 KiB every 0.5 s, and how far the kernel's memory grows on a 600 MiB answer and on a gzip bomb
(0.5 MB that expands to 512 MiB).

Each case runs ``%sqlflow_jobs`` in a fresh IPython shell in a child process (a kernel's shell, without
its messaging), against the scripted fault server (``tests/support/fault_server.py``) in this process,
which makes each answer as it sends it. The child reports the call's wall time, its resident memory
before the call (``VmRSS``) and its peak during it (``VmHWM``, reset just before), from
``/proc/self/status``: Linux only.

    python benchmarks/hostile_server.py [--deadline SECONDS] [--cap-mib MIB] [--trickle-seconds 60]

``--deadline`` and ``--cap-mib`` set ``SQLFLOW_REQUEST_DEADLINE`` and ``SQLFLOW_MAX_ANSWER_BYTES`` (by
default the client's own: 300 s and 256 MiB). The trickle stops after ``--trickle-seconds``: a client
without a deadline waits that long. A checkout from before these settings ignores them: run the script
there for the figures before.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from tests.support.fault_server import MIB, Answer, endless, fault_server, gzip_bomb, trickle  # noqa: E402

CHILD = r"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field + ":"))

ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "sqlflow_magic")
ip.run_line_magic("config", f"SQLFlowMagics.base_url = {sys.argv[1]!r}")
import httpx  # noqa: F401  (loaded by the first call; loaded here, outside the measure)
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # resets VmHWM to the current resident size
before, started = status("VmRSS"), time.monotonic()
result = ip.run_cell("%sqlflow_jobs")
seconds, peak = time.monotonic() - started, status("VmHWM")
error = result.error_in_exec
print("RESULT " + json.dumps({"seconds": seconds, "before": before, "peak": peak,
                              "error": type(error).__name__ if error else None, "message": str(error or "")[:160]}))
"""


def run_case(answer: Answer, env: dict[str, str]) -> dict[str, object]:
    with fault_server(lambda path, n: answer) as server:
        done = subprocess.run([sys.executable, "-c", CHILD, server.url], env=env, capture_output=True, text=True,
                              timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"the child failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(lines[-1][len("RESULT "):])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deadline", type=float, help="SQLFLOW_REQUEST_DEADLINE for the child (seconds)")
    parser.add_argument("--cap-mib", type=int, help="SQLFLOW_MAX_ANSWER_BYTES for the child, in MiB")
    parser.add_argument("--trickle-seconds", type=float, default=60.0, help="how long the trickle lasts (60)")
    args = parser.parse_args()
    env = {name: value for name, value in os.environ.items() if not name.startswith("SQLFLOW_")}
    env["SQLFLOW_LOCAL_SERVER_DB"] = os.devnull  # never used: the base URL is the fault server's
    if args.deadline:
        env["SQLFLOW_REQUEST_DEADLINE"] = str(args.deadline)
    if args.cap_mib:
        env["SQLFLOW_MAX_ANSWER_BYTES"] = str(args.cap_mib * MIB)
    cases = {
        f"trickle, 1 KiB every 0.5 s for {args.trickle_seconds:g} s":
            Answer(200, chunks=trickle(1024, 0.5, args.trickle_seconds)),
        "600 MiB answer": Answer(200, chunks=endless(600 * MIB)),
        "gzip bomb, 0.5 MB -> 512 MiB": Answer(200, chunks=gzip_bomb(512), headers={"content-encoding": "gzip"}),
    }
    print(f"settings: deadline {args.deadline or 'client default'}, cap {args.cap_mib or 'client default'} MiB")
    print(f"{'case':42} {'seconds':>8} {'RSS before':>11} {'peak':>9} {'growth':>9}  outcome")
    for name, answer in cases.items():
        result = run_case(answer, env)
        before, peak = int(result["before"]), int(result["peak"])  # type: ignore[call-overload]
        print(f"{name:42} {result['seconds']:8.1f} {before / MIB:8.0f} MiB {peak / MIB:5.0f} MiB "
              f"{(peak - before) / MIB:5.0f} MiB  {result['error']}: {result['message']}")


if __name__ == "__main__":
    main()
