"""The entry points: :func:`analyze` a set of SQL files into a :class:`LineageResult`; the first pass and the
batches of a big job (``lineage/batches.py``) use the others."""

from __future__ import annotations

from collections.abc import Sequence

from sqlflow_magic.server.lineage.analysis.registry import Registry
from sqlflow_magic.server.lineage.deadline import Deadline
from sqlflow_magic.server.lineage.input.dialects import choose_dialect
from sqlflow_magic.server.lineage.input.first_pass import schemas_at, spellings_at
from sqlflow_magic.server.lineage.model import LineageResult, SqlSource
from sqlflow_magic.server.lineage.parts import BatchStart, Part
from sqlflow_magic.server.lineage.session import FirstPass, Session

__all__ = ["FirstPass", "analyze", "analyze_parts", "batch_start", "first_pass"]


def analyze(
    files: Sequence[SqlSource],
    dbvendor: str,
    *,
    default_database: str | None = None,
    default_schema: str | None = None,
    deadline: float | None = None,
    column_level: bool = True,
) -> LineageResult:
    """Compute table- and column-level lineage of SQL files, SQLFlow-style.

    ``dbvendor`` is a SQLFlow ``dbv*`` value (or a friendly alias); vendors without a sqlglot
    dialect use the default dialect and a ``DialectFallback`` hint says so. ``default_database``
    and ``default_schema`` qualify unqualified names. ``deadline`` is a ``time.monotonic()`` value:
    past it the analysis stops with a ``TimeoutError`` entry and what it found so far.
    ``column_level=False`` computes table-level lineage only (``processes``; no column
    relationships), several times faster; a source read only in filters is then ``fdr`` by a
    syntactic rule rather than by tracing columns, and the job's DDL is not collected first (only
    columns read the column lists it gives).
    Never raises on bad SQL: problems become entries of ``errors`` (see :class:`LineageResult`).
    Changes no process-wide state (garbage collector, logging): a process that runs long analyses
    sets its collector up itself, as the server's analysis processes do
    (:func:`sqlflow_magic.server.pool_child.tune_collector`).
    """
    choice = choose_dialect(dbvendor)
    session = Session(choice, default_database, default_schema, Deadline(deadline), column_level)
    if column_level:  # the column lists the first pass finds serve column lineage only (docs/engine.md)
        found = session.first_pass(files, referenced_only=True)
        session.registry.seed_schemas(schemas_at(found.definitions, 0, 0))
    return session.run(files)


def first_pass(
    files: Sequence[SqlSource],
    dbvendor: str,
    *,
    default_database: str | None = None,
    default_schema: str | None = None,
) -> FirstPass:
    """The first pass over a job (``input/first_pass.py``), as :func:`analyze` makes it."""
    session = Session(choose_dialect(dbvendor), default_database, default_schema, Deadline(None), False)
    return session.first_pass(files)


def batch_start(
    found: FirstPass,
    file_index: int,
    offset: int,
    dbvendor: str,
    *,
    default_database: str | None = None,
    default_schema: str | None = None,
) -> BatchStart:
    """What one analysis of the whole job knows when it reaches ``offset`` of file ``file_index``."""
    session = Session(choose_dialect(dbvendor), default_database, default_schema, Deadline(None), False)
    registry = session.registry
    for use in found.uses:
        if (use.file_index, use.offset) < (file_index, offset):
            session.dispatch.use(use.expression)
    return BatchStart(
        schemas_at(found.definitions, file_index, offset), spellings_at(found.definitions, file_index, offset),
        registry.default_database, registry.default_schema,
    )  # fmt: skip


def analyze_parts(
    files: Sequence[SqlSource],
    parts: Sequence[Part],
    dbvendor: str,
    start: BatchStart,
    *,
    deadline: float | None = None,
    column_level: bool = True,
) -> tuple[LineageResult, Registry, bool]:
    """:func:`analyze` of some parts of ``files`` only (one batch of a big job, ``lineage/batches.py``).

    The analysis starts with what :func:`batch_start` says the statements before the first part
    declared. Returns the result, the registry (its keys, first spellings and the spellings it looked
    up let the batches be merged) and whether every part that ends inside its file ended at a
    statement boundary (else the batches cannot be merged exactly).
    """
    choice = choose_dialect(dbvendor)
    session = Session(choice, start.default_database, start.default_schema, Deadline(deadline), column_level)
    session.registry.seed_schemas(start.schemas)
    session.registry.seed_spelling(start.spelling)
    session.registry.spelling_lookups = set()
    session.registry.seed_lookups = set()
    result = session.run(files, parts, dialect_note=parts[0][:2] == (0, 0) if parts else True)
    return result, session.registry, session.clean_ends
