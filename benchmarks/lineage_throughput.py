"""Throughput of the lineage engine beside bare ``sqlglot.parse``, openlineage-sql and sqllineage, on the same input.

Two workloads:

1. the hand-written corpus (``tests/lineage/corpus``): statements per second, each case analysed on
   its own (as the synchronous endpoint does). Each of ``--runs`` runs is a child process in which the
   tools take turns pass by pass over the corpus (the order rotating), passes repeating until the run
   has lasted ``--min-seconds``: a drift of the machine's speed weighs on all tools alike, and each
   call's garbage is collected on that call's time. Tools are compared by their time on the cases
   both handle. The targets are judged on the median of the per-run ratios;
2. a generated script of ``--big-mb`` MB: wall time, statements per second and peak RSS, median of
   ``--big-runs`` runs, every run a child process of its own (so peaks do not mix), the tools
   taking turns run after run.

sqllineage runs with a timeout on the big script; a failure or a timeout is reported as such.
openlineage-sql (the Rust engine on PyPI, package ``openlineage-sql``, in the ``bench`` extra) finds
table and column lineage in one call, so it has one row, compared with the engine at both levels.
Every tool is credited with the engine's statement count of the same text (the rates printed); the
targets compare times on the same cases.

``--python`` runs every measured child process with another interpreter, e.g. a venv with compiled
sqlglot (``sqlglotc``) beside one without, so that "compiled parsing" is the parsing of that Python:
it needs sqlflow-magic's dependencies, and openlineage-sql and sqllineage unless skipped. The
checkout measured is the one on ``PYTHONPATH`` (children inherit it).

    python benchmarks/lineage_throughput.py [--runs 5] [--min-seconds 2] [--big-runs 3] [--big-mb 5] [--skip-big]
        [--skip-sqllineage] [--skip-openlineage] [--python PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "lineage" / "corpus"
#: dbvendor -> sqllineage (sqlfluff) dialect.
SQLLINEAGE_DIALECTS = {
    "dbvmssql": "tsql",
    "dbvoracle": "oracle",
    "dbvpostgresql": "postgres",
    "dbvmysql": "mysql",
    "dbvsnowflake": "snowflake",
    "dbvbigquery": "bigquery",
    "dbvhive": "hive",
    "dbvsparksql": "sparksql",
    "dbvredshift": "redshift",
    "dbvteradata": "teradata",
    "dbvdb2": "db2",
}
#: dbvendor -> openlineage-sql dialect (it reads other names as its generic dialect).
OPENLINEAGE_DIALECTS = {
    "dbvmssql": "mssql",
    "dbvpostgresql": "postgres",
    "dbvmysql": "mysql",
    "dbvsnowflake": "snowflake",
    "dbvbigquery": "bigquery",
    "dbvhive": "hive",
    "dbvsparksql": "sparksql",
    "dbvredshift": "redshift",
    "dbvdatabricks": "databricks",
    "dbvathena": "athena",
}
OPENLINEAGE = ("openlineage-sql", "both")
#: The Python that runs the measured children (``--python``).
PYTHON = [sys.executable]
#: Statements per second of each (tool, level) in one run.
RunRates = dict[tuple[str, str], float]
#: Seconds of each (tool, level) on each case of one run; ``None`` where the tool raised (or timed out).
RunTimes = dict[tuple[str, str], list[float | None]]
TOOLS = (
    ("sqlglot.parse", "parse"),
    ("sqlflow-magic engine", "table"),
    ("sqlflow-magic engine", "column"),
    OPENLINEAGE,
    ("sqllineage", "table"),
    ("sqllineage", "column"),
)


# -- workloads -------------------------------------------------------------------------------
def corpus_cases() -> list[tuple[str, str]]:
    """``(dbvendor, sql)`` of every corpus case (setup statements included)."""
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            cases.append((data["vendor"], "\n".join(case.get("setup", []) + case["sql"])))
    return cases


def generated_script(target_bytes: int, seed: int = 20240501) -> str:
    """A PostgreSQL ETL-like script of about ``target_bytes`` characters, statements of varied shapes."""
    rnd = random.Random(seed)
    templates = (
        "INSERT INTO dw.fact_sales_{i} (order_id, customer_id, amount, region)\n"
        "SELECT o.id, o.customer_id, o.amount * {k}, c.region\nFROM sales.orders_{a} o\n"
        "JOIN crm.customers_{b} c ON c.id = o.customer_id\nWHERE o.status = 'OPEN' AND o.amount > {k};\n",
        "UPDATE dw.fact_sales_{a} f SET amount = s.amount FROM staging.delta_{b} s WHERE f.order_id = s.id;\n",
        "CREATE VIEW rpt.v_region_{i} AS\nSELECT region, SUM(amount) AS total, COUNT(*) AS orders\n"
        "FROM dw.fact_sales_{a} GROUP BY region;\n",
        "WITH recent AS (SELECT id, customer_id, amount FROM sales.orders_{a} WHERE amount > {k})\n"
        "INSERT INTO rpt.ranked_{b} SELECT r.id, ROW_NUMBER() OVER (PARTITION BY r.customer_id ORDER BY r.amount)\n"
        "FROM recent r;\n",
        "DELETE FROM staging.delta_{a} WHERE id IN (SELECT order_id FROM dw.fact_sales_{b});\n",
        "CREATE TABLE tmp.snapshot_{i} AS SELECT c.id, c.name, COALESCE(c.email, c.phone) AS contact\n"
        "FROM crm.customers_{a} c LEFT JOIN crm.blocked b ON b.id = c.id WHERE b.id IS NULL;\n",
    )
    parts, size, index = [], 0, 0
    while size < target_bytes:
        text = templates[index % len(templates)].format(
            i=index, a=rnd.randrange(200), b=rnd.randrange(200), k=rnd.randrange(1, 1000)
        )
        parts.append(text)
        size += len(text)
        index += 1
    return "".join(parts)


# -- one tool on one text (runs in a child process for the big script) ------------------------
def run_tool(tool: str, level: str, vendor: str, sql: str) -> int:
    """Analyse ``sql``; return the number of statements handled. Raises on failure."""
    if tool == "sqlglot.parse":
        import sqlglot

        from sqlflow_magic.server.lineage import choose_dialect

        return len(sqlglot.parse(sql, read=choose_dialect(vendor).dialect))
    if tool == "sqlflow-magic engine":
        from sqlflow_magic.server.lineage import SqlSource, analyze

        result = analyze([SqlSource("bench.sql", sql)], vendor, column_level=level == "column")
        return result.statement_count
    if tool == "openlineage-sql":
        import openlineage_sql

        try:
            openlineage_sql.parse([sql], dialect=OPENLINEAGE_DIALECTS.get(vendor, "generic"))
        except BaseException as exc:  # its Rust panics are BaseExceptions: a failure like any other
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise RuntimeError(f"openlineage-sql failed: {exc}") from None
        return 0  # it does not count statements: the caller credits the engine's count
    from sqllineage.runner import LineageRunner

    runner = LineageRunner(sql, dialect=SQLLINEAGE_DIALECTS.get(vendor, "ansi"), silent_mode=True)
    if level == "column":
        runner.get_column_lineage()
    else:
        runner.source_tables  # noqa: B018 - the property runs the analysis
        runner.target_tables  # noqa: B018
    return len(runner.statements())


def as_in_an_analysis_process() -> None:
    """Set this process up as the server sets up its analysis processes (logging, the collector's
    thresholds): the engine itself changes no process-wide state. Every tool runs under it."""
    from sqlflow_magic.server.analysis import warm_up
    from sqlflow_magic.server.pool_child import tune_collector

    warm_up()
    tune_collector()


def child_main(tool: str, level: str, vendor: str, path: str) -> None:
    """Entry point of a child process: time one tool on a file; print JSON."""
    as_in_an_analysis_process()
    sql = Path(path).read_text(encoding="utf-8")
    started = time.perf_counter()
    try:
        statements, error = run_tool(tool, level, vendor, sql), None
    except Exception as exc:  # report, do not crash: the parent prints "failed"
        statements, error = 0, " ".join(f"{type(exc).__name__}: {exc}".split())[:90]
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "statements": statements, "peak_kb": peak_kb, "error": error}))


def child_corpus_main(tools: list[tuple[str, str]], min_seconds: float) -> None:
    """Entry point of a child process: one run of every tool over the corpus, taking turns pass by pass.

    Each tool analyses every case in a pass of its own, the tools' order rotating from pass to pass, so
    that a drift of the machine's speed weighs on all tools alike; passes repeat until the run has
    lasted ``min_seconds``. Not case by case: a call of a fraction of a millisecond right after another
    tool's call runs in the caches that call left, and the fast tools lost the most there (bare parsing
    took about 1.5 times as long, openlineage-sql 2.6 times, the engine at column level no longer;
    docs/performance.md). A warm-up pass (imports, dialect set-up) is not timed, and what it leaves
    (sqllineage's grammar, say) is frozen out of the garbage collector's walks, so that one tool's heap
    does not slow the others down. Each call ends with a collection of the two younger generations,
    timed with it: a tool's cyclic garbage (sqlglot's trees point to their parents) is collected on its
    own time, where Python's collector would run whenever any tool's call crossed its threshold,
    charging one tool for another's garbage. Prints JSON: per tool, its seconds, the statements credited
    (the engine's count of each case it handles without raising), the cases that raised, and its
    seconds on each case (``None`` where it raised), over ``passes`` passes.
    """
    from sqlflow_magic.server.lineage import SqlSource, analyze

    as_in_an_analysis_process()
    cases = [
        (vendor, sql, analyze([SqlSource("case.sql", sql)], vendor).statement_count) for vendor, sql in corpus_cases()
    ]
    for tool, level in tools:  # warm-up
        for vendor, sql, _ in cases:
            try:
                run_tool(tool, level, vendor, sql)
            except Exception:
                pass
    gc.collect()
    gc.freeze()
    seconds = dict.fromkeys(tools, 0.0)
    statements = dict.fromkeys(tools, 0)
    failures = dict.fromkeys(tools, 0)
    case_seconds = {tool: [0.0] * len(cases) for tool in tools}
    failed_cases: dict[tuple[str, str], set[int]] = {tool: set() for tool in tools}
    passes, started = 0, time.perf_counter()
    while not passes or time.perf_counter() - started < min_seconds:
        shift = passes % len(tools)
        passes += 1
        for tool in tools[shift:] + tools[:shift]:
            for number, (vendor, sql, count) in enumerate(cases):
                before = time.perf_counter()
                try:
                    run_tool(*tool, vendor, sql)
                    statements[tool] += count
                except Exception:
                    failures[tool] += 1
                    failed_cases[tool].add(number)
                gc.collect(1)  # each tool pays for collecting its own garbage, not the next tool's call
                spent = time.perf_counter() - before
                seconds[tool] += spent
                case_seconds[tool][number] += spent
    rows = [
        {"tool": tool, "level": level, "seconds": seconds[tool, level], "statements": statements[tool, level],
         "failures": failures[tool, level], "passes": passes,
         "case_seconds": [None if number in failed_cases[tool, level] else spent
                          for number, spent in enumerate(case_seconds[tool, level])]}
        for tool, level in tools
    ]  # fmt: skip
    print(json.dumps(rows))


def child_versions() -> dict[str, str]:
    """The interpreter and the versions of the measured packages in this (child) Python."""
    from importlib.metadata import PackageNotFoundError, version

    from sqlflow_magic.server.engine_build import engine_build

    found = {"python": f"Python {sys.version.split()[0]} ({sys.executable})", "sqlglot": engine_build()}
    for package in ("openlineage-sql", "sqllineage"):
        try:
            found[package] = f"{package} {version(package)}"
        except PackageNotFoundError:
            found[package] = f"{package} not installed"
    return found


# -- parent ----------------------------------------------------------------------------------
def _child(args: list[str], timeout: float) -> Any:
    command = [*PYTHON, __file__, *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-200:]}"}
    return json.loads(lines[-1])


def bench_corpus(
    runs: int, min_seconds: float, timeout: float, tools: tuple[tuple[str, str], ...]
) -> tuple[list[RunTimes], list[RunTimes]]:
    """Each tool's seconds on each case of the corpus: per run, for the two comparisons.

    A run is a child process in which the tools take turns pass by pass (:func:`child_corpus_main`).
    The engine is compared with bare parsing in runs of the sqlglot tools alone, and with sqllineage
    in runs of its own beside sqllineage: measured case by case in one process, sqllineage's heavy
    heap slowed sqlglot's parsing by a quarter, which would have flattered the engine. The two kinds
    of run alternate. Prints the median rate of each tool (statements per second over the cases it
    handles); returns each kind of run's seconds per case, from which :func:`verdicts` compares tools on
    the cases both handle.
    """
    cases = corpus_cases()
    vendors = {vendor for vendor, _ in cases}
    print(
        f"\nCorpus: {len(cases)} cases over {len(vendors)} vendors, each analysed separately (median of {runs} runs "
        f"of at least {min_seconds:g} s, each its own process; within a run the tools take turns pass by pass)"
    )
    engine = tuple(tool for tool in tools if tool[0] == "sqlflow-magic engine")  # openlineage-sql joins the first
    groups = [tuple(tool for tool in tools if tool[0] != "sqllineage")]
    if any(tool[0] == "sqllineage" for tool in tools):
        groups.append(engine + tuple(tool for tool in tools if tool[0] == "sqllineage"))
    per_group: list[list[RunRates]] = [[] for _ in groups]
    times: list[list[RunTimes]] = [[] for _ in groups]
    last: dict[tuple[str, str], dict] = {}
    for _ in range(runs):
        for group, done, timed in zip(groups, per_group, times, strict=True):
            report = _child(["--child-corpus", json.dumps(group), str(min_seconds)], timeout + min_seconds * 4)
            if not isinstance(report, list):
                problem = "timed out" if report is None else report["error"]
                raise SystemExit(f"a corpus run failed: {problem}")
            done.append({(row["tool"], row["level"]): row["statements"] / row["seconds"] for row in report})
            timed.append({(row["tool"], row["level"]): row["case_seconds"] for row in report})
            for row in report:  # counts per pass, the same in every run
                last.setdefault((row["tool"], row["level"]), row)
    print(f"{'tool':<22} {'level':<7} {'statements/s':>13}  notes")
    for key in tools:
        row = last[key]
        note = f"{row['statements'] // row['passes']} statements analysed a pass"
        if row["failures"]:
            note += f"; {row['failures'] // row['passes']} of {len(cases)} cases raised an error"
        rate = statistics.median(run[key] for run in per_group[0 if key in groups[0] else 1])
        print(f"{key[0]:<22} {key[1]:<7} {rate:>13.0f}  {note}")
    return times[0], times[-1] if len(groups) > 1 else []


def _succeeded(report: dict | None) -> bool:
    return report is not None and not report.get("error")


def bench_big(
    megabytes: float, runs: int, timeout: float, sqllineage_timeout: float, tools: tuple[tuple[str, str], ...]
) -> RunTimes:
    """Wall time and peak memory of each tool on a generated script, run after run in turns (sqllineage once).

    Returns each tool's median seconds, as one case (``None``: it failed or timed out)."""
    script = generated_script(int(megabytes * 1024 * 1024))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.sql"
        path.write_text(script, encoding="utf-8")
        print(f"\nGenerated script: {len(script) / 1e6:.1f} MB (median of {runs} runs, each in its own process)")
        print(f"{'tool':<22} {'level':<7} {'time (s)':>9} {'statements':>11} {'stmts/s':>8} {'peak RSS MB':>12}")
        reports: dict[tuple[str, str], list[dict | None]] = {tool: [] for tool in tools}
        for round_number in range(runs):
            for tool, level in tools:
                done = reports[tool, level]
                if (done and not _succeeded(done[-1])) or (tool == "sqllineage" and round_number > 0):
                    continue
                limit = sqllineage_timeout if tool == "sqllineage" else timeout
                done.append(_child(["--child", tool, level, "dbvpostgresql", str(path)], limit))
        times: RunTimes = {}
        engine_counts = [r["statements"] for key, done in reports.items() if key[0] == "sqlflow-magic engine"
                         for r in done if _succeeded(r)]  # fmt: skip
        for (tool, level), done in reports.items():
            last = done[-1]
            if not _succeeded(last):
                times[tool, level] = [None]  # a failure or a timeout
                if last is None:
                    limit = sqllineage_timeout if tool == "sqllineage" else timeout
                    print(f"{tool:<22} {level:<7} {'timeout':>9}  (over {limit:.0f} s)")
                else:
                    print(f"{tool:<22} {level:<7} {'failed':>9}  after {last.get('seconds', 0):.0f} s: {last['error']}")
                continue
            seconds = statistics.median(r["seconds"] for r in done if r is not None)
            peak = statistics.median(r["peak_kb"] for r in done if r is not None) / 1024
            count = last["statements"] or max(engine_counts, default=0)  # openlineage-sql: the engine's count
            print(f"{tool:<22} {level:<7} {seconds:>9.1f} {count:>11,} {count / seconds:>8.0f} {peak:>12.0f}")
            times[tool, level] = [seconds]
    return times


#: The targets: engine time at most this many times bare parsing's (table, column).
PARSE_TARGETS = {"table": 1.3, "column": 2.0}
#: At least this share of openlineage-sql's statements per second, at table level (the column ratio is shown).
OPENLINEAGE_TARGET = 0.2
#: At least this many times sqllineage's statements per second.
SQLLINEAGE_TARGET = 20


def verdicts(workload: str, parse_runs: list[RunTimes], peer_runs: list[RunTimes]) -> None:
    """The targets, each ratio taken within a run, then the median over the runs shown with the range.

    Every comparison is of time on the same statements: the two tools' seconds summed over the cases
    that both handle without raising. (Rates over each tool's own cases would credit the engine with the
    statements of cases where the other tool raised, while charging the other tool for its attempts.)

    - parsing: the engine's time over bare ``sqlglot.parse``'s, at most 1.3x at table level and 2x at
      column level (``parse_runs``, where parsing is of the same Python: compiled when the Python has
      sqlglotc);
    - openlineage-sql: its time over the engine's (the engine's rate over its rate), at least 0.2x at
      table level (``parse_runs``);
    - sqllineage: the same over sqllineage at the same level, at least 20x (``peer_runs``).
    """
    how = f" (median of the {len(parse_runs)} runs' ratios, and their range)" if len(parse_runs) > 1 else ""
    print(f"\nTargets on the {workload}{how}; each ratio over the cases both tools handle")
    print(f"{'level':<7} {'time vs parse':>20} {'target':<12} {'rate vs openlineage':>20} {'target':<12} "
          f"{'rate vs sqllineage':>20} {'target':<10}")  # fmt: skip
    parse_key = ("sqlglot.parse", "parse")
    for level in ("table", "column"):
        key = ("sqlflow-magic engine", level)
        if key not in parse_runs[0]:
            continue
        parse_ratios = [_time_over(run, key, parse_key) for run in parse_runs]
        if all(ratio is not None for ratio in parse_ratios):
            shown = [ratio for ratio in parse_ratios if ratio is not None]
            parse_text = _spread(shown) + _compared(parse_runs[0], key, parse_key)
            parse_verdict = _verdict(statistics.median(shown) <= PARSE_TARGETS[level], f"<= {PARSE_TARGETS[level]}x")
        else:
            parse_text, parse_verdict = "parse failed", "-"
        against_ol, ol_verdict = _against(parse_runs, key, OPENLINEAGE)
        if against_ol[1] and level == "table":
            ol_verdict = _verdict(against_ol[1] >= OPENLINEAGE_TARGET, f">= {OPENLINEAGE_TARGET}x")
        elif against_ol[1]:
            ol_verdict = "(shown)"
        against_sl, sl_verdict = _against(peer_runs, key, ("sqllineage", level))
        if against_sl[0] == "peer failed":  # no answer within its timeout: far behind the engine
            sl_verdict = "met"
        elif against_sl[1]:
            sl_verdict = _verdict(against_sl[1] >= SQLLINEAGE_TARGET, f">= {SQLLINEAGE_TARGET}x")
        print(f"{level:<7} {parse_text:>20} {parse_verdict:<12} {against_ol[0]:>20} {ol_verdict:<12} "
              f"{against_sl[0]:>20} {sl_verdict:<10}")  # fmt: skip


def _both_handled(run: RunTimes, key: tuple[str, str], other: tuple[str, str]) -> list[int]:
    pairs = enumerate(zip(run[key], run[other], strict=True))
    return [case for case, (mine, theirs) in pairs if mine is not None and theirs is not None]


def _time_over(run: RunTimes, key: tuple[str, str], other: tuple[str, str]) -> float | None:
    """``key``'s seconds over ``other``'s on the cases both handled; ``None`` if there is none."""
    cases = _both_handled(run, key, other)
    mine = sum(run[key][case] or 0.0 for case in cases)
    theirs = sum(run[other][case] or 0.0 for case in cases)
    return mine / theirs if cases and theirs else None


def _compared(run: RunTimes, key: tuple[str, str], other: tuple[str, str]) -> str:
    """`` [n/m]`` when the two tools were compared on fewer than all the cases."""
    handled, total = len(_both_handled(run, key, other)), len(run[key])
    return f" [{handled}/{total}]" if handled < total else ""


def _verdict(met: bool, target: str) -> str:
    return f"met {target}" if met else f"MISSED {target}"


def _against(runs: list[RunTimes], key: tuple[str, str], peer: tuple[str, str]) -> tuple[tuple[str, float], str]:
    """``((shown ratio, median), verdict placeholder)`` of the engine's rate over ``peer``'s (the peer's time
    over the engine's on the cases both handled), run by run."""
    if not runs or peer not in runs[0]:
        return ("not run", 0.0), "-"
    ratios = [_time_over(run, peer, key) for run in runs]
    known = [ratio for ratio in ratios if ratio is not None]
    if len(known) < len(ratios):  # it failed or timed out
        return ("peer failed", 0.0), "-"
    return (_spread(known) + _compared(runs[0], key, peer), statistics.median(known)), ""


def _spread(ratios: list[float]) -> str:
    median = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{median:.2f}x"
    return f"{median:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(*sys.argv[2:6])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-versions":
        print(json.dumps(child_versions()))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-corpus":
        child_corpus_main([tuple(tool) for tool in json.loads(sys.argv[2])], float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs over the corpus (median)")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="shortest corpus run (whole passes repeated)")
    parser.add_argument("--big-runs", type=int, default=3, help="runs on the generated script (median)")
    parser.add_argument("--big-mb", type=float, default=5.0, help="size of the generated script")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed to one run of our engine")
    parser.add_argument("--sqllineage-timeout", type=float, default=300, help="seconds allowed to sqllineage")
    parser.add_argument("--skip-big", action="store_true", help="only the corpus")
    parser.add_argument("--skip-sqllineage", action="store_true", help="leave sqllineage out")
    parser.add_argument("--skip-openlineage", action="store_true", help="leave openlineage-sql out")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the measured children")
    options = parser.parse_args()
    PYTHON[:] = [options.python]
    skipped = {"sqllineage"} if options.skip_sqllineage else set()
    skipped |= {"openlineage-sql"} if options.skip_openlineage else set()
    tools = tuple(t for t in TOOLS if t[0] not in skipped)
    versions = _child(["--child-versions"], 120)
    if not isinstance(versions, dict) or "error" in versions:
        raise SystemExit(f"{options.python} cannot run the benchmark: {versions}")
    print(", ".join(versions.values()))
    verdicts("corpus", *bench_corpus(options.runs, options.min_seconds, options.sqllineage_timeout, tools))
    if not options.skip_big:
        times = bench_big(options.big_mb, options.big_runs, options.timeout, options.sqllineage_timeout, tools)
        verdicts("generated script", [times], [times])


if __name__ == "__main__":
    main()
