"""How long one user's one-line job waits behind another user's heavy jobs on the local server.

An ``EmbeddedServer`` with two users and the default two analysis processes (one job analysed at a
time; the other process stays free for synchronous requests) and a job time limit of ``--time-limit``
seconds. Alice submits ``--heavy`` jobs that each run into that limit, then Bob submits one line of
SQL. The figure is Bob's wait: from the answer to his submit until his job is final (polled every
50 ms). The script stops once Bob's job is final, then prints the wait beside the time limit, and
which of Alice's jobs were finished before Bob's.

First in, first out, Bob waits for every heavy job (about ``heavy`` x the limit); round robin across
users, he waits for the one being analysed when he submits (at most one limit). The script measures
the server of the checkout it is in: run it in two checkouts to compare.

    python benchmarks/queue_fairness.py [--time-limit 10] [--heavy 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import machine_info  # noqa: E402  (needs ROOT on sys.path)

from sqlflow_magic.server import ServerConfig  # noqa: E402
from tests.support.server_api import FINAL, FIRST, Api, big_script, running_server  # noqa: E402
from tests.support.users import ALICE, ALICE_SECRET, BOB, BOB_SECRET  # noqa: E402

#: Enough statements to run into any time limit up to minutes (a few hundred statements a second).
HEAVY_STATEMENTS = 60000


def status(api: Api, user: str, token: str, job_id: str) -> str:
    return str(api.call("displayUserJobSummary", user_id=user, token=token, jobId=job_id)["data"]["status"])


def measure(time_limit: float, heavy: int) -> tuple[float, list[str]]:
    """Bob's wait in seconds, and the statuses of Alice's jobs when his was final."""
    with tempfile.TemporaryDirectory(prefix="sqlflow-bench-fairness-") as folder:
        config = ServerConfig(db_path=Path(folder) / "jobs.sqlite3", users={ALICE: ALICE_SECRET, BOB: BOB_SECRET},
                              job_time_limit_seconds=time_limit)
        with running_server(config) as (_server, api):
            alice_token, bob_token = api.token(ALICE, ALICE_SECRET), api.token(BOB, BOB_SECRET)
            script = big_script(HEAVY_STATEMENTS)
            alice = [api.submit([(f"heavy-{n}.sql", script)], user_id=ALICE, token=alice_token)["data"]["jobId"]
                     for n in range(heavy)]
            answer = api.submit([("one-line.sql", FIRST)], user_id=BOB, token=bob_token)
            submitted = time.monotonic()
            bob = answer["data"]["jobId"]
            while status(api, BOB, bob_token, bob) not in FINAL:
                time.sleep(0.05)
            waited = time.monotonic() - submitted
            return waited, [status(api, ALICE, alice_token, job_id) for job_id in alice]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="job_time_limit_seconds (default 10)")
    parser.add_argument("--heavy", type=int, default=3, help="Alice's heavy jobs before Bob's (default 3)")
    args = parser.parse_args(argv)
    print(machine_info())
    waited, alice = measure(args.time_limit, args.heavy)
    print(f"{args.heavy} heavy jobs of Alice at a {args.time_limit:g} s time limit, then one line of Bob's:")
    print(f"  Bob's job waited {waited:.1f} s ({waited / args.time_limit:.2f} x the time limit)")
    print(f"  Alice's jobs when Bob's was final: {', '.join(alice)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
