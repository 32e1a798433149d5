"""Peak memory of ``sqlflow-magic serve`` and of its analysis processes, beside the size of what was sent.

Three cases, each against a fresh ``sqlflow-magic serve`` (so that each peak is the case's own):

* ``one upload``: one ``submitPersistJob`` with one SQL file of ``--upload-mib`` MiB (190 by default);
* ``parallel uploads``: ``--parallel`` (4) such submits at once, each from its own client;
* ``48 zips``: one submit with 48 small zips of highly compressible SQL, each holding 64 members of
  1 MiB (under every per-archive limit), about 3 GiB once expanded.

The upload bodies are generated while they are sent (this script never holds one in memory) and carry a
``Content-Length``, as the magic's client sends it. The server's peak is its ``VmHWM`` (Linux ``/proc``)
at the end of the case, beside its resident size when it had just started; the analysis processes' peak
is the largest ``VmHWM`` seen among the server's descendants, sampled every 20 ms until every job is
final or ``--watch`` seconds have passed since the uploads ended. An analysis process over
``--guard-mib`` is killed by this script (its job then fails as a crashed analysis), so that a case
that would expand without bound cannot take the machine down; the table says so when it happened.

    python benchmarks/server_memory.py [--upload-mib 190] [--parallel 4] [--watch 30] [--guard-mib 6144]
                                       [--set NAME=VALUE ...]

With the defaults the SQL budgets refuse all three cases (64 MiB a request), after the upload was
spooled: the figures show what receiving costs. With the budgets lifted (``--set
max_request_sql_bytes=4294967296 --set max_job_sql_bytes=4294967296``) the jobs are analysed, and the
analysis processes' peaks show the memory limit (``analysis_memory_limit_mb``) at work.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.load_client import (  # noqa: E402  (needs ROOT on sys.path)
    PREFIX,
    SUBMIT_PATH,
    ServerProcess,
    descendants,
    write_users_file,
)

MIB = 1024 * 1024
USER_ID = "bench-memory@example.com"
SECRET_KEY = "sk-bench-memory-0123456789"
FINAL = ("success", "partial_success", "fail")
#: One MiB of SQL for the big uploads: many different statements, as a real script has.
SQL_MIB = b"".join(
    f"INSERT INTO dw.fact_{n % 97} (k, v) SELECT s.k, s.v + {n} FROM staging.src_{n % 89} s;\n".encode()
    for n in range(20_000)
)[:MIB]
#: One MiB of very repetitive SQL: what a zip compresses about a thousand times.
REPETITIVE_MIB = (b"INSERT INTO t1 (a) SELECT a FROM t2;\n" * (MIB // 37 + 1))[:MIB]


# -- what is sent ------------------------------------------------------------------------------------
@dataclass
class Part:
    """A multipart file part: its name, filename and content, produced ``chunk`` by ``chunk``."""

    name: str
    filename: str
    chunk: bytes
    repeat: int

    @property
    def size(self) -> int:
        return len(self.chunk) * self.repeat


def multipart_body(fields: dict[str, str], parts: list[Part]) -> tuple[str, int, Iterator[bytes]]:
    """The content type, exact length and a generator of a multipart body: text fields first, then the parts."""
    boundary = secrets.token_hex(16)
    heads = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    part_heads = [(f'--{boundary}\r\nContent-Disposition: form-data; name="{part.name}"; '
                   f'filename="{part.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
                  for part in parts]
    tail = f"--{boundary}--\r\n".encode()
    length = sum(map(len, heads)) + sum(map(len, part_heads)) + sum(part.size + 2 for part in parts) + len(tail)

    def generate() -> Iterator[bytes]:
        yield from heads
        for head, part in zip(part_heads, parts, strict=True):
            yield head
            for _ in range(part.repeat):
                yield part.chunk
            yield b"\r\n"
        yield tail

    return f"multipart/form-data; boundary={boundary}", length, generate()


def zips_of_repetitive_sql(count: int = 48, members: int = 64) -> list[Part]:
    """``count`` zips, each of ``members`` members of 1 MiB of repetitive SQL (ratio limits apply above 1 MiB)."""
    parts = []
    for number in range(count):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for member in range(members):
                archive.writestr(f"part{member:02d}.sql", REPETITIVE_MIB)
        parts.append(Part("sqlfiles", f"bundle{number:02d}.zip", buffer.getvalue(), 1))
    return parts


# -- watching memory ---------------------------------------------------------------------------------
def status_kib(pid: int, key: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of ``/proc/PID/status`` in KiB; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Watch:
    """Samples the analysis processes' peaks every 20 ms, killing any over ``guard_kib``."""

    server_pid: int
    guard_kib: int
    analysis_peak_kib: int = 0
    guarded: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.wait(0.02):
            for child in descendants(self.server_pid):
                peak = status_kib(child, "VmHWM")
                self.analysis_peak_kib = max(self.analysis_peak_kib, peak)
                if status_kib(child, "VmRSS") > self.guard_kib:
                    self.guarded.append(f"an analysis process killed by this script at {peak / 1024:,.0f} MiB")
                    try:
                        os.kill(child, signal.SIGKILL)  # a child of the server this script started
                    except ProcessLookupError:
                        pass

    def stop(self) -> None:
        self._stop.set()


# -- one case ----------------------------------------------------------------------------------------
@dataclass
class CaseResult:
    name: str
    sent_bytes: int
    sql_bytes: int
    answers: list[str]
    server_start_kib: int
    server_peak_kib: int
    analysis_peak_kib: int
    jobs: str
    notes: list[str]


def token(client: httpx.Client) -> str:
    answer = client.post(f"{PREFIX}/user/generateToken", data={"userId": USER_ID, "secretKey": SECRET_KEY}).json()
    return str(answer["token"])


def submit(base_url: str, parts: list[Part], answers: list[tuple[int, str]]) -> None:
    """One submit of ``parts``; appends (HTTP status, jobId or error) to ``answers``."""
    with httpx.Client(base_url=base_url, timeout=600) as client:
        fields = {"userId": USER_ID, "token": token(client), "dbvendor": "dbvoracle"}
        content_type, length, body = multipart_body(fields, parts)
        try:
            response = client.post(SUBMIT_PATH, content=body,
                                   headers={"content-type": content_type, "content-length": str(length)})
            answer = response.json()
            answers.append((response.status_code, answer["data"]["jobId"] if answer.get("code") == 200
                            else f"{answer.get('code')}: {answer.get('error')}"))
        except (httpx.HTTPError, ValueError) as exc:
            answers.append((0, f"{type(exc).__name__}: {exc}"))


def job_statuses(base_url: str, job_ids: list[str]) -> list[str]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        fields = {"userId": USER_ID, "token": token(client)}
        return [client.post(f"{PREFIX}/sqlflow/job/displayUserJobSummary", data={**fields, "jobId": job_id})
                .json()["data"]["status"] for job_id in job_ids]


def run_case(name: str, submits: list[list[Part]], sql_bytes: int, args: argparse.Namespace) -> CaseResult:
    """Start a fresh server, send ``submits`` at once, watch until the jobs are final or ``--watch`` s pass."""
    with tempfile.TemporaryDirectory(prefix="sqlflow-server-memory-") as folder:
        users_file = write_users_file(Path(folder) / "users.json", {USER_ID: SECRET_KEY})
        options = [option for setting in args.set for option in ("--set", setting)]
        server = ServerProcess(Path(folder) / "jobs.sqlite3", users_file, log_path=Path(folder) / "server.log",
                               options=options).start()
        try:
            time.sleep(1.0)  # the analysis processes warm up (import the engine) right after the start
            start_kib = status_kib(server.pid, "VmRSS")
            watch = Watch(server.pid, args.guard_mib * 1024)
            watcher = threading.Thread(target=watch.run, daemon=True)
            watcher.start()
            answers: list[tuple[int, str]] = []
            threads = [threading.Thread(target=submit, args=(server.base_url, parts, answers)) for parts in submits]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            job_ids = [text for status, text in answers if status == 200]
            deadline = time.monotonic() + args.watch
            statuses = job_statuses(server.base_url, job_ids) if job_ids else []
            while job_ids and time.monotonic() < deadline and not all(s in FINAL for s in statuses):
                time.sleep(0.2)
                statuses = job_statuses(server.base_url, job_ids)
            watch.stop()
            watcher.join()
            server_peak = status_kib(server.pid, "VmHWM")
            alive = server.alive()
        finally:
            server.stop()
    sent = sum(sum(part.size for part in parts) for parts in submits)
    shown = [f"{status} {text[:70]}" if status != 200 else "200" for status, text in answers]
    jobs = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses))) or "none"
    notes = sorted(set(watch.guarded)) + ([] if alive else ["the server died"])
    if statuses and not all(s in FINAL for s in statuses):
        notes.append(f"not final after {args.watch:g} s")
    return CaseResult(name, sent, sql_bytes, shown, start_kib, server_peak, watch.analysis_peak_kib, jobs, notes)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def mib(value: float) -> str:
    return f"{value / MIB:,.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mib", type=int, default=190, help="size of each big upload (default 190)")
    parser.add_argument("--parallel", type=int, default=4, help="big uploads sent at once (default 4)")
    parser.add_argument("--watch", type=float, default=30, help="seconds to watch the jobs after the uploads")
    parser.add_argument("--guard-mib", type=int, default=6144, help="kill an analysis process above this RSS")
    parser.add_argument("--cases", default="one,parallel,zips", help="which cases (default: one,parallel,zips)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of serve (serve --set), e.g. max_request_sql_bytes=4294967296 to let the "
                             "uploads past the SQL budgets and see the analysis memory limit at work")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        sys.exit("server_memory.py reads /proc: it runs on Linux only")
    big = Part("sqlfiles", "big.sql", SQL_MIB, args.upload_mib)
    zips = zips_of_repetitive_sql()
    cases = {
        "one": ("one upload", [[big]], big.size),
        "parallel": (f"{args.parallel} parallel uploads", [[big]] * args.parallel, big.size * args.parallel),
        "zips": ("48 zips in one request", [zips], 48 * 64 * MIB),
    }
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"watching each case up to {args.watch:g} s after its uploads; guard {args.guard_mib:,} MiB\n", flush=True)
    results = []
    for key in args.cases.split(","):
        name, submits, sql_bytes = cases[key]
        result = run_case(name, submits, sql_bytes, args)
        results.append(result)
        print(f"  {name}: server peak {result.server_peak_kib / 1024:,.0f} MiB, "
              f"analysis peak {result.analysis_peak_kib / 1024:,.0f} MiB", flush=True)
    header = ["case", "sent", "SQL (expanded)", "answers", "server at start", "server peak", "peak growth / sent",
              "analysis peak", "jobs at the end", "notes"]
    rows = []
    for r in results:
        growth = (r.server_peak_kib - r.server_start_kib) * 1024
        answers = ", ".join(f"{r.answers.count(a)}x {a}" for a in sorted(set(r.answers)))
        rows.append([r.name, mib(r.sent_bytes), mib(r.sql_bytes), answers, mib(r.server_start_kib * 1024),
                     mib(r.server_peak_kib * 1024), f"{growth / max(1, r.sent_bytes):.2f}x",
                     mib(r.analysis_peak_kib * 1024), r.jobs, "; ".join(r.notes) or "-"])
    print("\n" + table(header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
