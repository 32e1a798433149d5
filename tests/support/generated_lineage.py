"""A generated SQLFlow lineage answer of any size: a warehouse of layered tables, for the explorer."""

from __future__ import annotations

from typing import Any


def layered_lineage(tables: int, columns: int = 4, fan_in: int = 2) -> dict[str, Any]:
    """``tables`` tables ``T0``..; table ``i`` (past the first ``fan_in``) is loaded from ``fan_in`` earlier
    ones, column ``cK`` from column ``cK`` (``fdd``) and filtered on ``c0`` (``fdr``), each load a process."""
    objects: list[dict[str, Any]] = []
    relationships: list[dict[str, Any]] = []
    ids = iter(range(1, 10**9))

    def ref(table: int, column: str) -> dict[str, Any]:
        return {"id": f"{table}.{column}", "column": column, "parentId": f"t{table}", "parentName": f"T{table}",
                "coordinates": [{"x": table + 1, "y": 8, "hashCode": "0"}, {"x": table + 1, "y": 10, "hashCode": "0"}]}

    for i in range(tables):
        objects.append({"id": f"t{i}", "name": f"T{i}", "type": "table", "coordinates": [],
                        "columns": [{"id": f"{i}.c{k}", "name": f"c{k}", "coordinates": []} for k in range(columns)]})
        if i < fan_in:
            continue
        process = f"p{i}"
        objects.append({"id": process, "name": f"Query Insert-{i}", "type": "process",
                        "coordinates": [{"x": i + 1, "y": 1, "hashCode": "0"}, {"x": i + 1, "y": 40, "hashCode": "0"}]})
        for source in sorted({i - 1, i // 2, i // 3})[:fan_in]:
            for k in range(columns):
                relationships.append({"id": str(next(ids)), "type": "fdd", "effectType": "insert", "processId": process,
                                      "target": ref(i, f"c{k}"), "sources": [ref(source, f"c{k}")]})
            relationships.append({"id": str(next(ids)), "type": "fdr", "effectType": "insert", "processId": process,
                                  "target": ref(i, "c0"), "sources": [{**ref(source, "c0"), "clauseType": "where"}]})
    return {"code": 200, "data": {"mode": "global", "sqlflow": {"dbvendor": "dbvoracle", "dbobjs": objects,
                                                                "relationships": relationships}}}
