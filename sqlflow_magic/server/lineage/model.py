"""Typed results of the lineage engine: objects, columns, relationships, errors, processes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple


def rebuilt_by_constructor(record: Any) -> tuple[type, tuple[Any, ...]]:
    """``__reduce__`` of a frozen dataclass that travels between processes: compiled (setup.py), such a class
    cannot be unpickled field by field, so it is rebuilt by its constructor from all its fields, in order."""
    return (type(record), tuple(getattr(record, each.name) for each in fields(record)))


#: Error types that mean "some SQL was not (fully) analysed"; any of them makes a job a partial success.
HARD_ERROR_TYPES = frozenset(
    {"SyntaxError", "SyntaxHint", "AnalyzeError", "TimeoutError", "DecodeError", "LimitExceeded"}
)
#: Error types that are only hints: reported, but the analysis of the statement is complete.
HINT_ERROR_TYPES = frozenset(
    {"DialectFallback", "UnsupportedStatement", "LinkOrphanColumn", "ProceduralCode", "Rewritten", "EmptyInput"}
)

#: Object types of routines: they hold statements, not data (no columns).
ROUTINE_TYPES = frozenset({"procedure", "function", "trigger", "package"})
#: The ``procedureName`` SQLFlow gives a process whose statement is outside any routine.
BATCH_QUERIES = "batchQueries"

#: The pseudo column that stands for "the rows of a table" (row-deciding flows, COUNT(*), DELETE).
ROWS_COLUMN = "RelationRows"


@dataclass(frozen=True)
class SqlSource:
    """One SQL file: a name (shown in errors) and its text.

    ``decode_error`` is set by :func:`~sqlflow_magic.server.lineage.decode_sql` when the bytes were
    not clean text; :func:`~sqlflow_magic.server.lineage.analyze` reports it as a ``DecodeError``.
    """

    name: str
    text: str
    decode_error: str | None = None

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return rebuilt_by_constructor(self)


class Span(NamedTuple):
    """A start and an (exclusive) end position: 1-based line and column.

    This and the other values an analysis makes by the thousand (:class:`ColumnRef`,
    :class:`Relationship`) are named tuples rather than frozen dataclasses: built in half the time.
    """

    start_line: int
    start_column: int
    end_line: int
    end_column: int

    def to_json(self) -> list[dict[str, object]]:
        """SQLFlow's shape: two coordinate objects, start then end."""
        return [
            {"x": self.start_line, "y": self.start_column, "hashCode": "0"},
            {"x": self.end_line, "y": self.end_column, "hashCode": "0"},
        ]


def spans_to_json(spans: list[Span]) -> list[dict[str, object]]:
    """Flatten spans into SQLFlow's list of coordinate objects."""
    return [point for span in spans for point in span.to_json()]


@dataclass
class Column:
    """A column of a table, view or result set; ``coordinates`` lists each occurrence."""

    id: str
    name: str
    coordinates: list[Span] = field(default_factory=list)
    _seen: set[Span] = field(default_factory=set, repr=False, compare=False)

    def add_span(self, span: Span | None) -> None:
        """Record an occurrence, once per position."""
        if span is not None and span not in self._seen:
            self._seen.add(span)
            self.coordinates.append(span)


@dataclass
class DbObject:
    """A table, view, result set (``select_list``) or process, with its columns.

    ``name`` is the object's own name (``Employee``); ``written`` how the SQL first qualified it
    (``HumanResources.Employee``), which is what SQLFlow's answers call ``name``.
    """

    id: str
    name: str
    type: str
    database: str | None = None
    schema: str | None = None
    columns: list[Column] = field(default_factory=list)
    coordinates: list[Span] = field(default_factory=list)
    written: str | None = None
    #: For a process: the routine (procedure, function, trigger) whose body holds its statement.
    procedure: str | None = None
    _column_index: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)
    _seen: set[Span] = field(default_factory=set, repr=False, compare=False)

    def add_span(self, span: Span | None) -> None:
        """Record an occurrence of the object, once per position."""
        if span is not None and span not in self._seen:
            self._seen.add(span)
            self.coordinates.append(span)

    def find_column(self, key: str) -> Column | None:
        """The column registered under the normalised name ``key``."""
        return self._column_index.get(key)

    @property
    def qualified_name(self) -> str:
        """``database.schema.name`` with the known parts."""
        return ".".join(part for part in (self.database, self.schema, self.name) if part)

    @property
    def sql_name(self) -> str:
        """The name as the SQL wrote it, qualified or bare: SQLFlow's ``name`` and ``parentName``."""
        return self.written or self.name


class ColumnRef(NamedTuple):
    """One end of a relationship: a column of an object, at a position in one statement.

    A source of an ``fdr`` relationship says which clause it decides rows in (``clause_type``,
    SQLFlow's ``clauseType``: ``where``, ``joinCondition``, ``groupBy``, ``having``, ``qualify``,
    ``connectBy``, ``window``, ``except``); a source of an ``fdd`` relationship how the target's value
    is made from it (``value_kind``: ``identity``, ``transformation`` or ``aggregation``; ours, see
    ``docs/engine.md#clause-types-and-value-kinds``). Both are ``None`` where they do not apply.
    """

    id: str
    column: str
    parent_id: str
    parent_name: str
    coordinates: tuple[Span, ...] = ()
    clause_type: str | None = None
    value_kind: str | None = None


class Relationship(NamedTuple):
    """A data flow into ``target`` from ``sources``; ``type`` is ``fdd`` (values) or ``fdr`` (rows).

    ``dependency`` (``fdd`` only) is SQLFlow's summary of how the target is made from all its
    sources: ``simple`` (a plain column, perhaps renamed), ``function`` or ``expression``.
    """

    id: str
    type: str
    effect_type: str
    target: ColumnRef
    sources: tuple[ColumnRef, ...]
    process_id: str | None = None
    dependency: str | None = None


@dataclass(frozen=True)
class LineageError:
    """An error or a hint: ``error_type`` is one of :data:`HARD_ERROR_TYPES` or :data:`HINT_ERROR_TYPES`."""

    message: str
    error_type: str
    file_name: str = ""
    span: Span | None = None
    raw: str = ""  # the parser's own message (``parserMessage``), when ``message`` says it in plain words

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return rebuilt_by_constructor(self)

    @property
    def is_hint(self) -> bool:
        """Whether this entry only informs (the analysis it concerns is complete)."""
        return self.error_type in HINT_ERROR_TYPES


@dataclass
class Process:
    """One analysed data flow of a statement, with its table-level lineage.

    ``sources`` maps each source object id to ``fdd`` (values flow) or ``fdr`` (it only decides rows).
    A statement may yield several processes (Hive multi-insert, MERGE's update and insert branches).
    """

    id: str
    name: str
    effect_type: str
    file_name: str
    statement_index: int
    target_id: str
    sources: dict[str, str] = field(default_factory=dict)
    span: Span | None = None


@dataclass
class LineageResult:
    """Everything :func:`~sqlflow_magic.server.lineage.analyze` found, in a deterministic order."""

    dbvendor: str
    dialect: str
    dbobjs: list[DbObject] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    errors: list[LineageError] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    statement_count: int = 0
    analysed_count: int = 0
    timed_out: bool = False
    _index: dict[str, DbObject] = field(default_factory=dict, repr=False, compare=False)

    @property
    def status(self) -> str:
        """``success``, ``partial_success`` (something was not analysed) or ``fail`` (nothing was)."""
        hard = self.timed_out or any(not error.is_hint for error in self.errors)
        if self.analysed_count == 0:
            return "fail"
        return "partial_success" if hard else "success"

    def object_by_id(self, object_id: str) -> DbObject:
        """The object (table, view, result set, process) with this id; ``KeyError`` if there is none."""
        if len(self._index) != len(self.dbobjs):
            self._index = {obj.id: obj for obj in self.dbobjs}
        return self._index[object_id]

    def table_lineage(self) -> list[tuple[str, str, str, str]]:
        """Table-level edges ``(source id, target id, fdd|fdr, effect type)``, one per process and pair."""
        edges: list[tuple[str, str, str, str]] = []
        for process in self.processes:
            for source_id, kind in process.sources.items():
                edges.append((source_id, process.target_id, kind, process.effect_type))
        return edges
