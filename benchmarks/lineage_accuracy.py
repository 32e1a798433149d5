"""Accuracy of the engine on sqllineage's own test suite, over HTTP, beside openlineage-sql on the same cases.

sqllineage ships its tests in its source distribution; :mod:`sqllineage_suite` downloads it from the
package index at run time (nothing of it is stored in this repository) and reads every table-level
case (SQL, expected source and target tables) and column-level case (expected ``(source column,
target column)`` pairs). Each case goes:

- to the engine **over HTTP**, as a client sends it: ``sqlflow-magic serve`` is started on loopback
  (from the Python running this script, so ``PYTHONPATH`` picks the checkout) and each case is a
  ``POST /sqlflow/generation/sqlflow`` (the synchronous endpoint) with ``showRelationType=fdd,fdr``,
  with ``tableToTable=true`` for table level (the engine's table-level mode) and without for column
  level;
- to openlineage-sql (the Rust engine on PyPI, package ``openlineage-sql``; install it with the
  ``bench`` extra), statement by statement (split by ``sqlparse``, as sqllineage splits), its
  ``out_tables`` written from its ``in_tables``, and its column lineage attributed to the statement's
  one output table.

sqllineage itself wrote the expectations, so it is not scored. Both answers are read the way sqllineage
reads its own: the statements' table edges form one graph, whose sources are the tables nothing writes
(plus tables read by queries that write nothing, and tables a statement both reads and writes), and
whose targets are the tables nothing reads (plus tables written from nothing, and the read-and-written
ones); a table written and then read is intermediate, in neither. Column pairs are the ends of the paths
of the column graph. In SQLFlow's answer a table (or view) that no relationship touches is a table a
statement writes without a source (``CREATE TABLE t (...)``, ``INSERT ... VALUES``): it counts as
written.

Names compare case-insensitively without quotes, and a name matches a more qualified one (``tab1`` =
``db.sch.tab1``: no default schema is given). A case is exact when the expected and the found sets
match both ways; precision and recall count the set members over all cases. Counted apart:

- cases that need sqllineage's own metadata provider (schemas the SQL does not give);
- cases where SQLFlow's lineage model differs from sqllineage's expectation (:data:`MODEL_DIFFERS`, each
  listed in ``docs/engine.md#differences-from-the-peers``): scored as the rest, shown in their own row.

    python benchmarks/lineage_accuracy.py [--show-failures] [--only SUBSTRING] [--skip-openlineage]

``--show-failures`` prints every failing case of the engine, grouped by the kind of miss, with its SQL,
what was expected and what the engine found.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqllineage_suite import SQLLINEAGE_VERSION, SuiteCase, load_cases

from sqlflow_magic.server.lineage.model import HINT_ERROR_TYPES

#: The on-premise user a loopback server lets in without a token (as SQLFlow's on-premise edition does).
ONPREM_USER = "gudu|0123456789"
#: sqllineage dialect -> openlineage-sql dialect ("generic" where it has none of its own).
OPENLINEAGE_DIALECTS = {
    "ansi": "ansi", "athena": "athena", "bigquery": "bigquery", "databricks": "databricks", "duckdb": "duckdb",
    "hive": "hive", "mysql": "mysql", "mariadb": "mysql", "postgres": "postgres", "greenplum": "postgres",
    "redshift": "redshift", "snowflake": "snowflake", "sparksql": "sparksql", "sqlite": "sqlite",
    "tsql": "mssql", "oracle": "oracle",
}  # fmt: skip
#: Cases where SQLFlow's model and sqllineage's expectation differ: id pattern -> the difference (one row of
#: docs/engine.md "Differences from the peers" each).
MODEL_DIFFERS: dict[str, str] = {
    "test_tmp_table.py::test_drop_after_create#": "DROP TABLE does not undo the lineage of earlier statements",
    "test_other_without_lineage.py::test_alter_table_rename#": "ALTER TABLE ... RENAME TO is lineage (rename_table)",
    "test_tmp_table.py::test_alter_source_table_name#": "ALTER TABLE ... RENAME TO is lineage (rename_table)",
    "test_other_without_lineage.py::test_delete_from_table#": "DELETE writes its table (delete)",
    "test_other_without_lineage_dialect_specific.py::test_rename_table[": "RENAME TABLE is lineage (rename_table)",
    "test_other_without_lineage_dialect_specific.py::test_rename_tables[": "RENAME TABLE is lineage (rename_table)",
    "test_procedure_dialect_specific.py::test_procedure_multiple_statements[": "a procedure's statements are "
    "analysed in order: a table one writes and the next reads is intermediate",
}
#: The ``docs/engine.md`` row of an expected column sqllineage leaves in no table (``ColumnQualifierTuple(c, None)``).
AMBIGUOUS = "an unqualified column over several tables is linked to the first candidate (LinkOrphanColumn)"
_DATA_OBJECTS = {"table", "view", "path"}


# -- names -------------------------------------------------------------------------------------
def _parts(name: str) -> tuple[str, ...]:
    cleaned = re.sub(r"[`\"\[\]']", "", name.strip().lower())
    return tuple(part for part in cleaned.split(".") if part)


def same_table(expected: str, found: str) -> bool:
    """Case-insensitive, unquoted; the shorter name matches the tail of the more qualified one."""
    left, right = _parts(expected), _parts(found)
    shorter = min(len(left), len(right))
    return shorter > 0 and left[-shorter:] == right[-shorter:]


TableSets = tuple[set[str], set[str]]  # (sources, targets)
ColumnPair = tuple[str, str, str, str]  # (source table, source column, target table, target column)


# -- reading lineage the way sqllineage does ---------------------------------------------------
@dataclass
class Flows:
    """Table edges, tables read by queries writing nothing, tables written from nothing; column edges."""

    edges: set[tuple[str, str]] = field(default_factory=set)
    read_only: set[str] = field(default_factory=set)
    written_only: set[str] = field(default_factory=set)
    column_edges: set[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=set)

    def tables(self) -> TableSets:
        incoming, outgoing = Counter[str](), Counter[str]()
        loops = set()
        for source, target in self.edges:
            if source == target:
                loops.add(source)
                continue
            outgoing[source] += 1
            incoming[target] += 1
        nodes = {n for edge in self.edges for n in edge}
        sources = {n for n in nodes if not incoming[n] and outgoing[n]} | loops | self.read_only
        targets = {n for n in nodes if not outgoing[n] and incoming[n]} | loops | self.written_only
        return sources, targets

    def column_pairs(self) -> set[ColumnPair]:
        following: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        has_input = set()
        for source, target in self.column_edges:
            if source != target:
                following[source].add(target)
                has_input.add(target)
        loops = {source for source, target in self.column_edges if source == target}
        pairs = set()
        for start in {s for s, _ in self.column_edges if s not in has_input} | loops:
            seen, todo = set(), [start]
            while todo:
                for nxt in following[todo.pop()] - seen:
                    seen.add(nxt)
                    todo.append(nxt)
            ends = {n for n in seen if not following[n] or n in loops} | ({start} if start in loops else set())
            pairs |= {(start[0], start[1], end[0], end[1]) for end in ends}
        return pairs


def sqlflow_flows(answer: dict[str, Any]) -> Flows:
    """The flows of a SQLFlow lineage answer (``data.sqlflow`` or, from the generation endpoint, ``data``)."""
    data = answer.get("data") or {}
    sqlflow = data.get("sqlflow") or data
    objects = {obj["id"]: obj for obj in sqlflow.get("dbobjs") or []}
    flows = Flows()
    touched = set()
    for rel in sqlflow.get("relationships") or []:
        target = objects.get(rel["target"]["parentId"], {})
        touched.add(target.get("id"))
        sources = [objects.get(s["parentId"], {}) for s in rel.get("sources") or []]
        touched.update(s.get("id") for s in sources)
        data_sources = [s for s in sources if s.get("type") in _DATA_OBJECTS]
        if target.get("type") in _DATA_OBJECTS:
            for source in data_sources:
                flows.edges.add((source["name"], target["name"]))
            if not data_sources:
                flows.written_only.add(target["name"])
            if rel["target"]["column"] != "TABLE":
                for ref, source in zip(rel["sources"], sources, strict=True):
                    # values, and the window PARTITION BY / ORDER BY columns of a window's value
                    value = rel["type"] == "fdd" or ref.get("clauseType") == "window"
                    if value and source.get("type") in _DATA_OBJECTS:
                        flows.column_edges.add(
                            ((source["name"], ref["column"]), (target["name"], rel["target"]["column"]))
                        )
        else:  # a query's result set (or another object that is not a table): its tables are read
            flows.read_only.update(source["name"] for source in data_sources)
    for obj in objects.values():  # written from nothing: SQLFlow lists the table, with no relationship
        if obj["id"] not in touched and obj.get("type") in _DATA_OBJECTS:
            flows.written_only.add(obj["name"])
    flows.read_only -= {target for _, target in flows.edges} | flows.written_only
    return flows


# -- the engine over HTTP ----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve() -> Iterator[str]:
    """``sqlflow-magic serve`` on a free loopback port, with a throwaway database; yields the API's base URL."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="sqlflow-accuracy-") as folder:
        users = Path(folder) / "users.json"
        users.write_text("{}", encoding="utf-8")
        port = _free_port()
        command = [sys.executable, "-m", "sqlflow_magic.cli", "serve", "--port", str(port),
                   "--db", str(Path(folder) / "jobs.sqlite3"), "--users-file", str(users)]  # fmt: skip
        with open(Path(folder) / "serve.log", "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/gspLive_backend"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.post(f"{url}/version", data={"userId": ONPREM_USER})
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(
                            "sqlflow-magic serve did not start: " + (Path(folder) / "serve.log").read_text()
                        ) from None
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(20)


def engine_answer(client: Any, url: str, case: SuiteCase, table_level: bool) -> dict[str, Any]:
    """The generation endpoint's answer for one case (what a client of SQLFlow's API receives)."""
    fields = {"userId": ONPREM_USER, "dbvendor": case.dbvendor, "sqltext": case.sql, "showRelationType": "fdd,fdr",
              "tableToTable": "true" if table_level else "false"}  # fmt: skip
    response = client.post(f"{url}/sqlflow/generation/sqlflow", data=fields, timeout=120)
    response.raise_for_status()
    return dict(response.json())


# -- openlineage-sql ---------------------------------------------------------------------------
def _ol_name(table: Any) -> str:
    return ".".join(part for part in (table.database, table.schema, table.name) if part)


def openlineage_flows(case: SuiteCase) -> Flows:
    """openlineage-sql's lineage of the case, statement by statement. Raises when it fails."""
    import openlineage_sql
    import sqlparse

    flows = Flows()
    dialect = OPENLINEAGE_DIALECTS.get(case.dialect, "generic")
    for statement in sqlparse.split(case.sql):
        if not statement.strip():
            continue
        try:
            meta = openlineage_sql.parse([statement], dialect=dialect)
        except BaseException as exc:  # its Rust panics are BaseExceptions: a failure like any other
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        if meta is None:
            continue
        ins = [_ol_name(t) for t in meta.in_tables]
        outs = [_ol_name(t) for t in meta.out_tables]
        flows.edges |= {(source, target) for source in ins for target in outs}
        if not outs:
            flows.read_only.update(ins)
        if outs and not ins:
            flows.written_only.update(outs)
        if len(outs) == 1:
            for lineage in meta.column_lineage:
                for origin in lineage.lineage:
                    if origin.origin is not None:
                        source = (_ol_name(origin.origin), origin.name)
                        flows.column_edges.add((source, (outs[0], lineage.descendant.name)))
    flows.read_only -= {target for _, target in flows.edges} | flows.written_only
    return flows


# -- scoring -----------------------------------------------------------------------------------
@dataclass
class Score:
    """One tool's result on one case: matched and total items both ways."""

    expected: int
    found: int
    matched_expected: int
    matched_found: int
    missing: list[str]
    extra: list[str]
    error: str | None = None

    @property
    def exact(self) -> bool:
        """The lineage matches both ways (an error entry beside it is reported, not scored)."""
        return not self.missing and not self.extra


def _match(
    expected: Iterable[Any], found: Iterable[Any], same: Callable[[Any, Any], bool], show: Callable[[Any], str]
) -> Score:
    expected, found = list(expected), list(found)
    missing = [e for e in expected if not any(same(e, f) for f in found)]
    extra = [f for f in found if not any(same(e, f) for e in expected)]
    return Score(len(expected), len(found), len(expected) - len(missing), len(found) - len(extra),
                 [show(m) for m in missing], [show(x) for x in extra])  # fmt: skip


def score_tables(case: SuiteCase, found: TableSets) -> Score:
    expected = [("source", t) for t in case.sources] + [("target", t) for t in case.targets]
    actual = [("source", t) for t in found[0]] + [("target", t) for t in found[1]]
    return _match(expected, actual, lambda e, f: e[0] == f[0] and same_table(e[1], f[1]), lambda x: f"{x[0]} {x[1]}")


def _column(name: str) -> tuple[str, ...]:
    parts = _parts(name)
    return ("*",) if parts == ("relationrows",) else parts  # SQLFlow's rows of a table: sqllineage's `*`


def _same_pair(expected: ColumnPair, found: ColumnPair) -> bool:
    columns = _column(expected[1]) == _column(found[1]) and _parts(expected[3]) == _parts(found[3])
    return columns and same_table(expected[0], found[0]) and same_table(expected[2], found[2])


def score_columns(case: SuiteCase, found: set[ColumnPair]) -> Score:
    return _match(case.columns, found, _same_pair, lambda p: f"{p[0]}.{p[1]} -> {p[2]}.{p[3]}")


def model_difference(case: SuiteCase) -> str | None:
    """Why SQLFlow's model disagrees with the case's expectation (``docs/engine.md``), or None."""
    if any(not source_table for source_table, *_ in case.columns):
        return AMBIGUOUS
    return next((why for pattern, why in MODEL_DIFFERS.items() if pattern in case.id), None)


def failure_kind(case: SuiteCase, score: Score) -> str:
    """The kind of miss a failing case shows (groups ``--show-failures``)."""
    if score.error:
        return f"error: {score.error.split(':')[0]}"
    if case.level == "table":
        missing = {item.split()[0] for item in score.missing}
        extra = {item.split()[0] for item in score.extra}
        parts = [f"missing {kind}" for kind in sorted(missing)] + [f"extra {kind}" for kind in sorted(extra)]
        if not score.found and score.expected:
            return "nothing found"
        return ", ".join(parts)
    if not score.found:
        return "no column lineage found"
    return ", ".join((["missing pairs"] if score.missing else []) + (["extra pairs"] if score.extra else []))


def _errors(answer: dict[str, Any]) -> str | None:
    data = answer.get("data") or {}
    errors = (data.get("sqlflow") or data).get("errors") or []
    hard = [e for e in errors if e.get("errorType") not in HINT_ERROR_TYPES]
    return f"{hard[0]['errorType']}: {hard[0]['errorMessage']}" if hard else None


# -- the run -----------------------------------------------------------------------------------
@dataclass
class Row:
    case: SuiteCase
    engine: Score
    peer: Score | None


def run(cases: list[SuiteCase], with_openlineage: bool) -> list[Row]:
    import httpx

    rows = []
    with serve() as url, httpx.Client() as client:
        for case in cases:
            answer = engine_answer(client, url, case, table_level=case.level == "table")
            flows = sqlflow_flows(answer)
            engine = (
                score_tables(case, flows.tables())
                if case.level == "table"
                else score_columns(case, flows.column_pairs())
            )
            engine.error = _errors(answer)
            peer = None
            if with_openlineage:
                try:
                    theirs = openlineage_flows(case)
                    peer = (
                        score_tables(case, theirs.tables())
                        if case.level == "table"
                        else score_columns(case, theirs.column_pairs())
                    )
                except Exception as exc:  # the peer's parse error: a miss of every expected item
                    peer = _match(
                        case.columns if case.level == "column" else case.sources + case.targets,
                        [],
                        lambda e, f: False,
                        str,
                    )
                    peer.error = " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
            rows.append(Row(case, engine, peer))
    return rows


def _figures(scores: list[Score]) -> str:
    if not scores:
        return f"{'-':>14} {'-':>6} {'-':>6}"
    exact = sum(s.exact for s in scores)
    expected = sum(s.expected for s in scores)
    found = sum(s.found for s in scores)
    precision = sum(s.matched_found for s in scores) / found if found else 1.0
    recall = sum(s.matched_expected for s in scores) / expected if expected else 1.0
    return f"{exact:>4}/{len(scores):<4} {exact / len(scores):>4.0%} {precision:>6.1%} {recall:>6.1%}"


def report(rows: list[Row]) -> None:
    with_peer = any(row.peer for row in rows)
    header = f"{'level':<7} {'dialect':<13} {'cases':>5}  {'engine: exact':>14} {'prec.':>6} {'recall':>6}"
    if with_peer:
        header += f"   {'openlineage-sql':>14} {'prec.':>6} {'recall':>6}"
    for level in ("table", "column"):
        print(f"\n{header}")
        scored = [r for r in rows if r.case.level == level and not r.case.needs_metadata]
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in scored:
            groups[row.case.dialect].append(row)
        lines = [(dialect, groups[dialect]) for dialect in sorted(groups)]
        lines.append(("TOTAL", scored))
        lines.append(("  model differs", [r for r in scored if model_difference(r.case)]))
        lines.append(("  the others", [r for r in scored if not model_difference(r.case)]))
        lines.append(("needs metadata", [r for r in rows if r.case.level == level and r.case.needs_metadata]))
        noisy = sum(1 for r in scored if r.engine.exact and r.engine.error)
        print_after = f"{level:<7} (exact cases with an error entry beside the lineage: {noisy})"
        for name, group in lines:
            text = f"{level:<7} {name:<13} {len(group):>5}  {_figures([r.engine for r in group])}"
            if with_peer:
                text += f"   {_figures([r.peer for r in group if r.peer])}"
            print(text)
        print(print_after)


#: The issue's targets: the share of exact cases, without the metadata and model-difference cases.
TARGETS = {"table": 0.95, "column": 0.97}


def targets(rows: list[Row]) -> None:
    """Exact share against the target, and against openlineage-sql's on the same cases."""
    print("\nTargets (cases apart from the metadata and model-difference ones)")
    for level, target in TARGETS.items():
        scored = [
            r for r in rows if r.case.level == level and not r.case.needs_metadata and not model_difference(r.case)
        ]
        if not scored:
            continue
        ours = sum(r.engine.exact for r in scored) / len(scored)
        text = f"{level:<7} exact {ours:.1%}: {'met' if ours >= target else 'MISSED'} (>= {target:.0%})"
        if all(r.peer for r in scored):
            theirs = sum(r.peer.exact for r in scored if r.peer) / len(scored)
            text += f"; openlineage-sql {theirs:.1%}: {'ahead' if ours > theirs else 'NOT ahead'}"
        print(text)


def show_failures(rows: list[Row]) -> None:
    by_kind: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if not row.engine.exact:
            why = model_difference(row.case)
            prefix = "model differs" if why else "needs metadata" if row.case.needs_metadata else row.case.level
            by_kind[f"{prefix}: {failure_kind(row.case, row.engine)}"].append(row)
    print("\nFailures of the engine by kind (count):")
    for kind, group in sorted(by_kind.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"  {len(group):>4}  {kind}")
    for kind, group in sorted(by_kind.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"\n=== {kind} ({len(group)})")
        for row in group:
            sql = " ".join(row.case.sql.split())
            print(f"- {row.case.id} [{row.case.dbvendor}]")
            print(f"    sql: {sql[:300]}{' ...' if len(sql) > 300 else ''}")
            if row.engine.error:
                print(f"    error: {row.engine.error[:200]}")
            if row.engine.missing:
                print(f"    missing: {'; '.join(row.engine.missing[:8])}")
            if row.engine.extra:
                print(f"    extra:   {'; '.join(row.engine.extra[:8])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-failures", action="store_true", help="print the engine's failing cases by kind")
    parser.add_argument("--only", help="only the cases whose id contains this text")
    parser.add_argument("--skip-openlineage", action="store_true", help="leave openlineage-sql out")
    options = parser.parse_args()
    cases, skipped = load_cases()
    if options.only:
        cases = [case for case in cases if options.only in case.id]
    with_peer = not options.skip_openlineage
    if with_peer:
        try:
            import openlineage_sql  # noqa: F401
        except ImportError:
            raise SystemExit(
                "openlineage-sql is not installed: pip install -e '.[bench]' (or --skip-openlineage)"
            ) from None
        from importlib.metadata import version

        peer = f", openlineage-sql {version('openlineage-sql')}"
    else:
        peer = ""
    engine = os.environ.get("PYTHONPATH") or "the installed package"
    print(
        f"sqllineage {SQLLINEAGE_VERSION}'s suite: {len(cases)} cases ({sum(skipped.values())} calls not read: "
        f"{', '.join(skipped)}){peer}; Python {sys.version.split()[0]}, engine from {engine}"
    )
    started = time.perf_counter()
    rows = run(cases, with_peer)
    report(rows)
    targets(rows)
    print(f"\n({time.perf_counter() - started:.0f} s; exact = both sets match; precision and recall over all items)")
    if options.show_failures:
        show_failures(rows)


if __name__ == "__main__":
    main()
