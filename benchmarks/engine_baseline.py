"""Record the lineage engine's full output, and compare the code on ``PYTHONPATH`` with a recording.

A refactoring of the engine must not change its answers except where a fix intends it. This tool
runs the engine on a fixed set of inputs, at column level and at table level, and keeps what
:func:`~sqlflow_magic.server.lineage.to_sqlflow_json` gives, normalised so that only meaningful
differences show: ids, session ids and timestamps are dropped; kept are object names and types
(with database and schema), their columns, every relationship with its type, effect type, process
and both ends (``parent.column``), the errors with their type, message, file and position, the
answer's ``code``, and (compared only with ``--positions``) the coordinates of every object.

The inputs:

- every case of the hand-written corpus (``tests/lineage/corpus``), its ``setup`` statements in a
  file of their own and its options, as ``tests/lineage/test_lineage_corpus.py`` analyses it;
- every case of sqllineage's own test suite (:mod:`sqllineage_suite`: downloaded from the package
  index at run time, never stored here), under the ``dbvendor`` its dialect maps to;
- the generated 5 MB script of :mod:`lineage_throughput` (``generated_script``).

Usage (``record`` writes gzip JSON lines into DIR, which should be outside the repository)::

    PYTHONPATH=<checkout> python benchmarks/engine_baseline.py record DIR [--skip-big]
    PYTHONPATH=<checkout> python benchmarks/engine_baseline.py compare DIR [--strict] [--positions]
        [--only SUBSTRING] [--limit N]

``compare`` re-runs the same inputs with the code on ``PYTHONPATH`` and prints, per input, whether
it is identical, else a short diff (objects and relationships added and removed, errors changed),
and the totals. It exits 0 either way (it is a tool, not a test); ``--strict`` exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lineage_throughput import generated_script
from sqllineage_suite import load_cases

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "lineage" / "corpus"
LEVELS = ("column", "table")
BIG_MB = 5.0
RECORD_FILE = "engine_output.jsonl.gz"


# -- inputs ------------------------------------------------------------------------------------
#: One input: (id, dbvendor, [(file name, sql)], analyze() keyword options).
Input = tuple[str, str, list[tuple[str, str]], dict[str, Any]]


def inputs(skip_big: bool = False) -> Iterator[Input]:
    """The corpus cases, sqllineage's cases and the generated script, in a fixed order."""
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            files = [("setup.sql", "\n".join(case["setup"]))] if case.get("setup") else []
            files.append(("case.sql", "\n".join(case["sql"])))
            yield f"corpus/{path.stem}/{case['id']}", data["vendor"], files, case.get("options", {})
    cases, _ = load_cases()
    for case in cases:
        yield f"sqllineage/{case.id}", case.dbvendor, [("case.sql", case.sql)], {}
    if not skip_big:
        yield "generated-5MB", "dbvpostgresql", [("bench.sql", generated_script(int(BIG_MB * 1024 * 1024)))], {}


# -- normalised output -------------------------------------------------------------------------
def _ref(ref: dict[str, Any]) -> str:
    return f"{ref.get('parentName')}.{ref.get('column')}"


def normalise(answer: dict[str, Any]) -> dict[str, Any]:
    """The meaningful part of a ``to_sqlflow_json`` answer, ids and stamps dropped, lists sorted."""
    sqlflow = answer["data"]["sqlflow"]
    names: dict[str, str] = {}
    objects, positions = [], {}
    for obj in sqlflow["dbobjs"]:
        qualified = ".".join(part for part in (obj.get("database"), obj.get("schema")) if part)
        label = f"{obj['type']} {obj['name']}" + (f" [{qualified}]" if qualified else "")
        names[obj["id"]] = label
        columns = ", ".join(column["name"] for column in obj.get("columns", []))
        objects.append(f"{label} ({columns})")
        positions[label] = [obj.get("coordinates")] + [c.get("coordinates") for c in obj.get("columns", [])]
    relationships = []
    for rel in sqlflow["relationships"]:
        process = names.get(rel.get("processId", ""), "-")
        sources = ", ".join(sorted(_ref(source) for source in rel["sources"]))
        relationships.append(f"{rel['type']}/{rel['effectType']} {_ref(rel['target'])} <- {sources} by {process}")
    errors = [
        f"{e['errorType']}: {e['errorMessage']} @{e.get('fileName', '')}{json.dumps(e.get('coordinates'))}"
        for e in sqlflow["errors"]
    ]
    return {"code": answer["code"], "objects": sorted(objects), "relationships": sorted(relationships),
            "errors": errors, "positions": positions}  # fmt: skip


def run_input(item: Input, level: str) -> dict[str, Any]:
    """The normalised answer of the engine on ``PYTHONPATH`` for one input at one level."""
    from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json

    _, vendor, files, options = item
    result = analyze([SqlSource(name, sql) for name, sql in files], vendor, column_level=level == "column", **options)
    return normalise(to_sqlflow_json(result, table_level=level == "table", now_ms=0))


# -- record ------------------------------------------------------------------------------------
def record(folder: Path, skip_big: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    started, count = time.perf_counter(), 0
    with gzip.open(folder / RECORD_FILE, "wt", encoding="utf-8") as out:
        for item in inputs(skip_big):
            for level in LEVELS:
                out.write(json.dumps({"input": item[0], "level": level, **run_input(item, level)}) + "\n")
                count += 1
    print(f"recorded {count} outputs in {time.perf_counter() - started:.0f} s to {folder / RECORD_FILE}")


# -- compare -----------------------------------------------------------------------------------
def _multiset_diff(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    before, after = Counter(old), Counter(new)
    return sorted((after - before).elements()), sorted((before - after).elements())


def diff(old: dict[str, Any], new: dict[str, Any], positions: bool) -> list[str]:
    """Readable lines of what changed between two normalised answers (empty: identical)."""
    lines = []
    if old["code"] != new["code"]:
        lines.append(f"  code {old['code']} -> {new['code']}")
    for key in ("objects", "relationships", "errors"):
        added, removed = _multiset_diff(old[key], new[key])
        lines += [f"  + {key[:-1]}: {line}" for line in added]
        lines += [f"  - {key[:-1]}: {line}" for line in removed]
    if positions and old["positions"] != new["positions"]:
        moved = sorted(k for k in old["positions"].keys() | new["positions"].keys()
                       if old["positions"].get(k) != new["positions"].get(k))  # fmt: skip
        lines += [f"  ~ position of {label}" for label in moved]
    return lines


def compare(folder: Path, strict: bool, positions: bool, only: str | None, limit: int) -> int:
    recorded: dict[tuple[str, str], dict[str, Any]] = {}
    with gzip.open(folder / RECORD_FILE, "rt", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            recorded[row.pop("input"), row.pop("level")] = row
    skip_big = not any(key[0] == "generated-5MB" for key in recorded)
    totals: Counter[str] = Counter()
    changed_by_kind: Counter[str] = Counter()
    seen = set()
    for item in inputs(skip_big):
        if only and only not in item[0]:
            continue
        for level in LEVELS:
            key = (item[0], level)
            seen.add(key)
            if key not in recorded:
                print(f"NEW       {level:<6} {item[0]} (not in the recording)")
                totals["new"] += 1
                continue
            lines = diff(recorded[key], run_input(item, level), positions)
            if not lines:
                totals["identical"] += 1
                continue
            totals["changed"] += 1
            for line in lines:
                changed_by_kind[line.split(":")[0].strip()] += 1
            print(f"CHANGED   {level:<6} {item[0]}")
            print("\n".join(lines[:limit]) + (f"\n  ... {len(lines) - limit} more" if len(lines) > limit else ""))
    missing = [key for key in recorded if key not in seen and (not only or only in key[0])]
    for name, level in missing:
        print(f"MISSING   {level:<6} {name} (recorded, no longer an input)")
    totals["missing"] = len(missing)
    print(f"\n{totals['identical']} identical, {totals['changed']} changed, {totals['new']} new, "
          f"{totals['missing']} missing (inputs x levels)")  # fmt: skip
    if changed_by_kind:
        print("changes: " + ", ".join(f"{kind} {count}" for kind, count in sorted(changed_by_kind.items())))
    differs = totals["changed"] or totals["new"] or totals["missing"]
    return 1 if strict and differs else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="write the engine's output for every input to DIR")
    rec.add_argument("folder", type=Path, metavar="DIR")
    rec.add_argument("--skip-big", action="store_true", help="leave the generated 5 MB script out")
    cmp_ = commands.add_parser("compare", help="re-run the inputs and show what differs from DIR's recording")
    cmp_.add_argument("folder", type=Path, metavar="DIR")
    cmp_.add_argument("--strict", action="store_true", help="exit 1 when anything differs")
    cmp_.add_argument("--positions", action="store_true", help="also compare the coordinates of objects")
    cmp_.add_argument("--only", help="only the inputs whose id contains this text (e.g. corpus/, sqllineage/)")
    cmp_.add_argument("--limit", type=int, default=12, help="diff lines shown per input")
    options = parser.parse_args()
    # As in the analysis process: the engine reports what sqlglot would warn about on stderr.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if options.command == "record":
        record(options.folder, options.skip_big)
        return
    if not (options.folder / RECORD_FILE).exists():
        raise SystemExit(f"no recording in {options.folder}: run `engine_baseline.py record {options.folder}` first")
    sys.exit(compare(options.folder, options.strict, options.positions, options.only, options.limit))


if __name__ == "__main__":
    main()
