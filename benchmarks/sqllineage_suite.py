"""sqllineage's own test cases, read from its source distribution at run time (never stored in this repository).

:func:`load_cases` downloads the pinned source distribution of sqllineage from the package index with
``pip download --no-deps --no-binary :all:`` into a cache folder outside the repository
(``~/.cache/sqlflow-magic-benchmarks``, or ``$SQLFLOW_MAGIC_BENCH_CACHE``), unpacks it, and reads the
test modules under ``tests/sql`` with the :mod:`ast` module: nothing of sqllineage is imported or run.
Every call of ``assert_table_lineage_equal`` (SQL, expected source and target tables) and
``assert_column_lineage_equal`` (SQL, expected ``(source column, target column)`` pairs) becomes one
:class:`SuiteCase`, once per ``pytest.mark.parametrize`` combination of its test function (a dialect,
a data type, ...). The arguments are evaluated by a small evaluator of literals (strings, f-strings,
sets, lists, ``ColumnQualifierTuple``, ``Table``, ``Schema``); a call it cannot evaluate is counted
as skipped, with the reason, never guessed.

A case ``needs_metadata`` when its test passes sqllineage's own metadata provider (the ``provider``
fixture, or ``metadata_provider=``): its expectations depend on table schemas that the SQL does not
give, so the accuracy benchmark counts those apart.

    python benchmarks/sqllineage_suite.py            # prints a summary of the extracted cases
    python benchmarks/sqllineage_suite.py --dump     # every case, one JSON line each
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import os
import subprocess
import sys
import tarfile
from collections import ChainMap, Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: The sqllineage release whose tests are read (its expectations change from release to release).
SQLLINEAGE_VERSION = "1.5.9"
#: sqllineage (sqlfluff) dialect -> SQLFlow ``dbvendor``; dialects SQLFlow lacks fall back to ANSI.
DBVENDORS = {
    "ansi": "dbvansi",
    "non-validating": "dbvansi",
    "athena": "dbvathena",
    "bigquery": "dbvbigquery",
    "databricks": "dbvdatabricks",
    "db2": "dbvdb2",
    "duckdb": "dbvansi",
    "exasol": "dbvansi",
    "greenplum": "dbvgreenplum",
    "hive": "dbvhive",
    "impala": "dbvimpala",
    "mariadb": "dbvmysql",
    "mysql": "dbvmysql",
    "oracle": "dbvoracle",
    "postgres": "dbvpostgresql",
    "redshift": "dbvredshift",
    "snowflake": "dbvsnowflake",
    "sparksql": "dbvsparksql",
    "sqlite": "dbvansi",
    "teradata": "dbvteradata",
    "trino": "dbvpresto",
    "tsql": "dbvmssql",
    "vertica": "dbvvertica",
}
_METADATA = "<sqllineage metadata provider>"
#: The parameters of sqllineage's two assertion helpers, in order (tests pass some by position).
_PARAMETERS = {
    "table": ["sql", "source_tables", "target_tables", "dialect", "test_sqlfluff", "test_sqlparse"],
    "column": ["sql", "column_lineages", "dialect", "metadata_provider", "test_sqlfluff", "test_sqlparse"],
}
_ASSERTS = {"assert_table_lineage_equal": "table", "assert_column_lineage_equal": "column"}


@dataclass
class SuiteCase:
    """One expectation of sqllineage's suite: a SQL text, its dialect, and the expected lineage."""

    id: str
    level: str  # "table" or "column"
    dialect: str  # sqllineage's dialect name
    sql: str
    #: Table level: expected source and target tables.
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    #: Column level: ``(source table, source column, target table, target column)``; a table may be "".
    columns: list[tuple[str, str, str, str]] = field(default_factory=list)
    needs_metadata: bool = False

    @property
    def dbvendor(self) -> str:
        return DBVENDORS.get(self.dialect, "dbvansi")


class Unsupported(Exception):
    """An argument the literal evaluator cannot compute (the call is skipped, with this reason)."""


# -- download ----------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Where downloads go: ``$SQLFLOW_MAGIC_BENCH_CACHE`` or ``~/.cache/sqlflow-magic-benchmarks``."""
    configured = os.environ.get("SQLFLOW_MAGIC_BENCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "sqlflow-magic-benchmarks"


def sqllineage_tests(version: str = SQLLINEAGE_VERSION) -> Path:
    """The ``tests`` folder of sqllineage's source distribution (downloaded and unpacked once)."""
    folder = cache_dir()
    unpacked = folder / f"sqllineage-{version}"
    if not (unpacked / "tests").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / f"sqllineage-{version}.tar.gz"
        if not archive.exists():
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                       f"sqllineage=={version}", "--dest", str(folder)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0 or not archive.exists():
                problem = done.stderr.strip().splitlines()[-1:] or ["no archive"]
                raise SystemExit(f"could not download sqllineage {version} from the package index: {problem[0]}")
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(f"sqllineage-{version}/tests/")]
            tar.extractall(folder, members=members, filter="data")
    return unpacked / "tests"


# -- the literal evaluator ---------------------------------------------------------------------
def _evaluate(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise Unsupported(f"unknown name {node.id}")
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None or value.conversion not in (-1, ord("s")):
                    raise Unsupported("formatted value with a format spec")
                parts.append(str(_evaluate(value.value, env)))
            else:
                parts.append(str(_evaluate(value, env)))
        return "".join(parts)
    if isinstance(node, ast.IfExp):
        return _evaluate(node.body if _evaluate(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        equal = _evaluate(node.left, env) == _evaluate(node.comparators[0], env)
        return equal if isinstance(node.ops[0], ast.Eq) else not equal
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _evaluate(node.left, env) + _evaluate(node.right, env)
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_evaluate(item, env) for item in node.elts]
    if isinstance(node, ast.Set):
        return [_evaluate(item, env) for item in node.elts]
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise Unsupported("dict unpacking")
        return {_evaluate(k, env): _evaluate(v, env) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_evaluate(arg, env) for arg in node.args]
        kwargs = {kw.arg: _evaluate(kw.value, env) for kw in node.keywords if kw.arg}
        name = node.func.id
        if name == "ColumnQualifierTuple":
            values = dict(zip(("column", "qualifier"), args, strict=False)) | kwargs
            return ("column", values.get("column"), values.get("qualifier"))
        if name == "Path":  # a file location read or written (COPY INTO, Spark's path tables)
            return args[0]
        if name == "Schema":
            return args[0] if args else ""
        if name == "Table":
            values = dict(zip(("name", "schema"), args, strict=False)) | kwargs
            schema = values.get("schema")
            return f"{schema}.{values['name']}" if schema else values["name"]
        if name in ("set", "frozenset", "list", "tuple"):
            return list(args[0]) if args else []
        raise Unsupported(f"call of {name}")
    raise Unsupported(f"{type(node).__name__} expression")


def _parametrizations(function: ast.FunctionDef, module: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the function's ``pytest.mark.parametrize`` decorators."""
    axes: list[list[dict[str, Any]]] = []
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("mark.parametrize")):
            continue
        names_value = _evaluate(decorator.args[0], module)
        names = [n.strip() for n in names_value.split(",")] if isinstance(names_value, str) else list(names_value)
        values_node = decorator.args[1]
        if isinstance(values_node, ast.Name) and isinstance(module.get(values_node.id), list):
            values_node = ast.List([ast.Constant(value) for value in module[values_node.id]])
        if isinstance(values_node, ast.Call) and ast.unparse(values_node.func) == "generate_metadata_providers":
            axes.append([{"provider": _METADATA}])  # sqllineage's own schemas: the case needs them
            continue
        if not isinstance(values_node, (ast.List, ast.Tuple)):
            raise Unsupported("parametrize values are not a literal list")
        axis = []
        for item in values_node.elts:
            if isinstance(item, ast.Call) and ast.unparse(item.func).endswith("param"):
                values = [_evaluate(arg, module) for arg in item.args]
            else:
                value = _evaluate(item, module)
                values = [value] if len(names) == 1 else list(value)
            axis.append(dict(zip(names, values, strict=True)))
        axes.append(axis)
    return [dict(ChainMap(*combo)) for combo in itertools.product(*axes)] or [{}]


def _table_names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):  # ``{}`` written for an empty set
        return list(value)
    return [str(item) for item in value]


def _case_from_call(call: ast.Call, env: dict[str, Any], case_id: str, level: str, metadata: bool) -> SuiteCase:
    parameters = _PARAMETERS[level]
    arguments = dict(zip(parameters, call.args, strict=False)) | {kw.arg or "": kw.value for kw in call.keywords}
    provider = arguments.pop("metadata_provider", None)
    metadata = metadata or not (provider is None or (isinstance(provider, ast.Constant) and provider.value is None))
    values = {name: _evaluate(node, env) for name, node in arguments.items()}
    if not values.get("test_sqlfluff", True):
        raise Unsupported("only for sqllineage's sqlparse parser")
    case = SuiteCase(case_id, level, values.get("dialect", "ansi"), values["sql"], needs_metadata=metadata)
    if level == "table":
        case.sources = _table_names(values.get("source_tables"))
        case.targets = _table_names(values.get("target_tables"))
    else:
        for source, target in values.get("column_lineages") or []:
            case.columns.append((source[2] or "", source[1], target[2] or "", target[1]))
    return case


def _assigned_name(statement: ast.stmt) -> str | None:
    """The variable of ``name = value``, else None."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    return None


def _calls(statements: list[ast.stmt], env: dict[str, Any]) -> list[tuple[ast.Call, dict[str, Any]]]:
    """The assertion calls of a function body in order, each with the variables assigned before it."""
    found = []
    for statement in statements:
        name = _assigned_name(statement)
        if name:
            try:
                env = {**env, name: _evaluate(statement.value, env)}  # type: ignore[attr-defined]
            except Unsupported:
                env = {k: v for k, v in env.items() if k != name}
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Name) and func.id in _ASSERTS:
                found.append((statement.value, env))
        elif isinstance(statement, ast.With):
            found += _calls(statement.body, env)
        elif isinstance(statement, ast.For) and isinstance(statement.target, ast.Name):
            for value in _evaluate(statement.iter, env):
                found += _calls(statement.body, {**env, statement.target.id: value})
    return found


def read_module(path: Path, name: str) -> tuple[list[SuiteCase], Counter[str]]:
    """The cases of one test module, and the reasons of the calls skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cases: list[SuiteCase] = []
    skipped: Counter[str] = Counter()
    module: dict[str, Any] = {}
    for statement in tree.body:  # module-level constants (a list of dialects, say)
        variable = _assigned_name(statement)
        if variable:
            try:
                module[variable] = _evaluate(statement.value, {})  # type: ignore[attr-defined]
            except Unsupported:
                pass
    for function in tree.body:
        if not (isinstance(function, ast.FunctionDef) and function.name.startswith("test_")):
            continue
        try:
            combos = _parametrizations(function, module)
        except Unsupported as exc:
            skipped[str(exc)] += 1
            continue
        for combo in combos:
            label = ",".join(str(v) for v in combo.values() if v is not _METADATA)
            metadata = any(arg.arg == "provider" for arg in function.args.args)
            try:
                calls = _calls(function.body, {**module, **combo})
            except Unsupported as exc:
                skipped[str(exc)] += 1
                continue
            for number, (call, env) in enumerate(calls, 1):
                level = _ASSERTS[call.func.id]  # type: ignore[attr-defined]
                case_id = f"{name}::{function.name}" + (f"[{label}]" if label else "") + f"#{number}"
                try:
                    cases.append(_case_from_call(call, env, case_id, level, metadata))
                except (Unsupported, KeyError, TypeError, ValueError) as exc:
                    skipped[str(exc) if isinstance(exc, Unsupported) else f"{type(exc).__name__}"] += 1
    return cases, skipped


def load_cases(version: str = SQLLINEAGE_VERSION) -> tuple[list[SuiteCase], Counter[str]]:
    """Every table- and column-level case of sqllineage's ``tests/sql``, and the skipped calls by reason."""
    tests = sqllineage_tests(version)
    cases: list[SuiteCase] = []
    skipped: Counter[str] = Counter()
    for path in sorted((tests / "sql").rglob("test_*.py")):
        found, missed = read_module(path, path.relative_to(tests).as_posix())
        cases += found
        skipped += missed
    return cases, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", action="store_true", help="print every case as a JSON line")
    options = parser.parse_args()
    cases, skipped = load_cases()
    if options.dump:
        for case in cases:
            print(json.dumps(asdict(case)))
        return
    print(f"sqllineage {SQLLINEAGE_VERSION}: {len(cases)} cases")
    for (level, dialect), count in sorted(Counter((c.level, c.dialect) for c in cases).items()):
        print(f"  {level:<7} {dialect:<15} {count:>4}")
    print(f"  needing sqllineage's metadata provider: {sum(c.needs_metadata for c in cases)}")
    for reason, count in skipped.most_common():
        print(f"  skipped ({reason}): {count}")


if __name__ == "__main__":
    main()
