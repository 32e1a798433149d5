"""The hand-written corpus: every statement's table-level lineage, and column-level lineage where given.

Each case in ``corpus/*.json`` lists, per data flow of its SQL (after optional ``setup`` statements
analysed first, in a separate file), the effect type, the target, the source tables with ``fdd``
(values flow) or ``fdr`` (only decides rows), and optionally target columns with their expected
``fdd`` / ``fdr`` source columns (an empty list means "none"), and optionally each ``fdd`` source's value
kind (``kinds``), each ``fdr`` source's ``clauseType`` (``clauses``) and the ``fdd`` relationship's
``dependency``. Names are ``[db.][schema.]table[.column]`` in their original spelling. Conventions are
described in ``corpus/README.md``.
"""

from __future__ import annotations

import pytest

from sqlflow_magic.server.lineage import LineageResult, Process, to_sqlflow_json
from sqlflow_magic.server.lineage.model import BATCH_QUERIES, ROUTINE_TYPES
from tests.support.lineage_corpus import CASES, analyze_case

pytestmark = pytest.mark.unit

def _table_lineage(result: LineageResult) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (
            p.effect_type,
            result.object_by_id(p.target_id).qualified_name,
            {result.object_by_id(s).qualified_name: kind for s, kind in p.sources.items()},
        )
        for p in result.processes
        if p.file_name == "case.sql"
    ]


def _column_sources(result: LineageResult, process: Process, column: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"fdd": [], "fdr": []}
    for rel in result.relationships:
        if rel.process_id == process.id and rel.target.column == column:
            for source in rel.sources:
                parent = result.object_by_id(source.parent_id).qualified_name
                found[rel.type].append(f"{parent}.{source.column}")
    return found


def _column_tags(result: LineageResult, process: Process, column: str) -> dict[str, object]:
    """As the JSON says it: each ``fdd`` source's ``valueKind``, each ``fdr`` source's ``clauseType``, and
    the ``fdd`` relationship's ``dependency``."""
    kinds: dict[str, str | None] = {}
    clauses: dict[str, str | None] = {}
    dependency = None
    for rel in to_sqlflow_json(result)["data"]["sqlflow"]["relationships"]:
        if rel.get("processId") == process.id and rel["target"]["column"] == column:
            for source in rel["sources"]:
                name = f"{result.object_by_id(source['parentId']).qualified_name}.{source['column']}"
                if rel["type"] == "fdd":
                    kinds[name] = source.get("valueKind")
                else:
                    clauses[name] = source.get("clauseType")
            if rel["type"] == "fdd":
                dependency = rel.get("dependency")
    return {"kinds": kinds, "clauses": clauses, "dependency": dependency}


@pytest.mark.parametrize(("vendor", "case"), CASES)
def test_corpus_case(vendor: str, case: dict) -> None:
    result = analyze_case(vendor, case)
    hard = [f"{e.error_type}: {e.message}" for e in result.errors if not e.is_hint]
    assert hard == []
    assert result.status == "success"

    processes = [p for p in result.processes if p.file_name == "case.sql"]
    actual_flows = [(p.effect_type, result.object_by_id(p.target_id).qualified_name) for p in processes]
    expected_flows = [(flow["effect"], flow["target"]) for flow in case["flows"]]
    assert actual_flows == expected_flows

    for process, flow in zip(processes, case["flows"], strict=True):
        target = result.object_by_id(process.target_id)
        sources = {result.object_by_id(s).qualified_name: kind for s, kind in process.sources.items()}
        assert sources == flow["sources"], f"table-level sources of {flow['target']}"
        if "target_type" in flow:
            assert target.type == flow["target_type"]
        for column, expected in flow.get("columns", {}).items():
            assert column in [c.name for c in target.columns], f"{column} is not a column of {target.name}"
            actual = _column_sources(result, process, column)
            for kind in ("fdd", "fdr"):
                if kind in expected:
                    assert sorted(actual[kind]) == sorted(expected[kind]), f"{kind} of {target.name}.{column}"
            tags = _column_tags(result, process, column)
            for tag in ("kinds", "clauses", "dependency"):
                if tag in expected:
                    assert tags[tag] == expected[tag], f"{tag} of {target.name}.{column}"


ROUTINE_CASES = [p for p in CASES if "routines" in p.values[1]]


@pytest.mark.parametrize(("vendor", "case"), ROUTINE_CASES)
def test_corpus_case_routines(vendor: str, case: dict) -> None:
    """Procedure, function and trigger objects, and each process's ``procedureName`` (SQLFlow's link)."""
    result = analyze_case(vendor, case)
    routines = [{"type": o.type, "name": o.sql_name} for o in result.dbobjs if o.type in ROUTINE_TYPES]
    assert routines == case["routines"]
    procedures = [result.object_by_id(p.id).procedure or BATCH_QUERIES for p in result.processes
                  if p.file_name == "case.sql"]
    assert procedures == [flow.get("procedure", BATCH_QUERIES) for flow in case["flows"]]


@pytest.mark.parametrize(("vendor", "case"), CASES)
def test_corpus_case_table_level_mode(vendor: str, case: dict) -> None:
    """The fast table-level mode finds the same table-level lineage."""
    result = analyze_case(vendor, case, column_level=False)
    expected = [(flow["effect"], flow["target"], flow["sources"]) for flow in case["flows"]]
    assert _table_lineage(result) == expected
    assert result.relationships == []


def test_corpus_size() -> None:
    """The corpus covers at least 60 statements, 6 vendors, and 20 column-level expectations."""
    statements = sum(len(case["flows"]) for _, case in (p.values for p in CASES))
    vendors = {vendor for vendor, _ in (p.values for p in CASES)}
    column_cases = sum(1 for _, case in (p.values for p in CASES) if any("columns" in f for f in case["flows"]))
    assert statements >= 60
    assert len(vendors) >= 6
    assert column_cases >= 20
