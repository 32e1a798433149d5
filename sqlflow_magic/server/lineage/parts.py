"""The plain records of a job analysed in batches (``lineage/batches.py``), free of sqlglot.

The server's own process receives them (a plan travels from one analysis process to the others through
it) and must not import sqlglot, so they live apart from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlflow_magic.server.lineage.model import rebuilt_by_constructor

#: A part of a job: ``(file index, start offset, end offset)`` of its text, cut at a statement boundary.
Part = tuple[int, int, int]
#: ``(database, schema, name)`` of a table as the registry normalises it.
TableKey = tuple[str | None, str | None, str]


@dataclass(frozen=True)
class BatchStart:
    """What one analysis of the whole job knows where a batch starts: the schemas the job's DDL declared
    (the first pass), the column names as first written, and the default database and schema (USE)."""

    schemas: dict[TableKey, list[str]]
    spelling: dict[str, str]
    default_database: str | None
    default_schema: str | None

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return rebuilt_by_constructor(self)
