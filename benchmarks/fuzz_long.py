"""The fuzz tier (``tests/fuzz``) with a large budget and a random seed, then a digest of what it found.

CI runs the tier with a fixed budget and the same examples every time (about a minute). This script runs
the same tests with ``--scale`` times as many examples (``SQLFLOW_FUZZ_SCALE``), new ones every run
(``SQLFLOW_FUZZ_RANDOM=1``, seeded by ``--seed`` so a run can be repeated), against the same loopback
``sqlflow-magic serve``. It prints the time, the examples each test ran (hypothesis' statistics) and every
failure with the example that reproduces it (hypothesis prints a ``@reproduce_failure`` blob). The exit
status is pytest's: 0 when nothing was found.

    python benchmarks/fuzz_long.py [--scale 20] [--seed N] [-k EXPRESSION]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=20.0, help="the budget's multiplier (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis' seed (default: a random one, printed)")
    parser.add_argument("-k", dest="keyword", default=None, help="only the tests pytest -k selects")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    command = [sys.executable, "-m", "pytest", "tests/fuzz", "-m", "fuzz", "-p", "no:cacheprovider", "-q",
               "--tb=short", "-rf", "--hypothesis-show-statistics", f"--hypothesis-seed={seed}"]
    if args.keyword:
        command += ["-k", args.keyword]
    env = {**os.environ, "SQLFLOW_FUZZ_SCALE": str(args.scale), "SQLFLOW_FUZZ_RANDOM": "1"}
    log = Path(tempfile.gettempdir()) / f"fuzz_long-{seed}.log"
    print(f"fuzzing with {args.scale:g} times CI's budget, seed {seed} (repeat: --seed {seed}); pytest's "
          f"output: {log}", flush=True)
    started = time.monotonic()
    with log.open("w") as output_file:  # a file, so that a run cut short still shows how far it got
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=output_file, stderr=subprocess.STDOUT, check=False)
    minutes = (time.monotonic() - started) / 60
    output = log.read_text(errors="replace")
    print(f"\n{minutes:.1f} min, pytest exit status {done.returncode}\n")
    print("examples per test (hypothesis' statistics; a parametrized test summed over its cases):")
    examples: dict[str, list[int]] = {}
    for test, passing, failing in re.findall(
            r"^(tests/fuzz/[^\s\[]+)\S*:\n(?:.*\n)*?\s+- (\d+) passing, (\d+) failing", output, flags=re.MULTILINE):
        counts = examples.setdefault(test, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(passing)
        counts[2] += int(failing)
    for test, (cases, passing, failing) in examples.items():
        print(f"  {passing:>7} passing {failing:>4} failing  {test} ({cases} case{'s' if cases > 1 else ''})")
    failures = re.findall(r"^FAILED .*$", output, flags=re.MULTILINE)
    print(f"\nfound: {len(failures) or 'nothing'}")
    for line in failures:
        print(f"  {line}")
    if failures:
        print("\nthe failures in full (each with its example):\n")
        start = output.find("= FAILURES =")
        print(output[output.rfind("\n", 0, start) + 1 : output.find("time per test tier")])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
