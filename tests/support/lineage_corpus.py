"""The hand-written lineage corpus (``tests/lineage/corpus/*.json``) as pytest parameters, and its analysis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlflow_magic.server.lineage import LineageResult, SqlSource, analyze

CORPUS = Path(__file__).resolve().parents[1] / "lineage" / "corpus"


def _cases() -> list:
    params = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            params.append(pytest.param(data["vendor"], case, id=case["id"]))
    return params


CASES = _cases()


def analyze_case(vendor: str, case: dict, column_level: bool = True) -> LineageResult:
    files = []
    if case.get("setup"):
        files.append(SqlSource("setup.sql", "\n".join(case["setup"])))
    files.append(SqlSource("case.sql", "\n".join(case["sql"])))
    return analyze(files, vendor, column_level=column_level, **case.get("options", {}))
