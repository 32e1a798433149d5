"""One big job in batches: cut its files at statement boundaries, analyse each batch apart, merge in order.

:func:`plan_batches` cuts the job's text into about equal batches of whole statements, each a list of
:data:`~sqlflow_magic.server.lineage.engine.Part` (file index, start, end), without parsing: a cut is the
start of a line that begins a statement (``INSERT``, ``SELECT``, ``CREATE``, ...) right after a line
ending in ``;``, or the end of a batch separator line (T-SQL ``GO``, SQL*Plus ``/``). Such a line could
still sit inside a string, a comment or a ``BEGIN ... END`` block: the batch ending there checks it while
parsing (``ScriptParser.ended_cleanly``), and a plan with a bad cut is not merged (the job is then
analysed in one piece).

:func:`analyse_batch` runs the engine on one batch (its registry seeded with the first pass's schemas
as of the batch's start, ``input/first_pass.py``) and returns it in a compact form (:func:`encode`: plain
tuples, marshalled, about ten times cheaper to move between processes than the pickled result).

:class:`OrderedMerge` joins the batches in order, each as soon as those before it have arrived
(:func:`merge`: all at once), into the :class:`LineageResult` one analysis of the whole job gives:
objects merged by their normalised name, ids renumbered in the order one analysis hands them out (an
object or column an earlier batch made keeps its id, everything new takes the next one), result sets
(``RS-n``) and processes (``Query Insert-n``) renumbered, relationships, processes and errors in statement
order. A batch that failed (its process crashed or ran out of memory) becomes one error naming the lines
it held; a batch past the deadline ends the result there, as one analysis stops at its deadline.
See "Parallel analysis of one big job" in ``docs/server.md``.
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlflow_magic.server.lineage.analysis.registry import Registry
from sqlflow_magic.server.lineage.engine import analyze_parts
from sqlflow_magic.server.lineage.input.scanning import LineIndex
from sqlflow_magic.server.lineage.model import (
    Column,
    ColumnRef,
    DbObject,
    LineageError,
    LineageResult,
    Process,
    Relationship,
    Span,
    SqlSource,
    rebuilt_by_constructor,
)
from sqlflow_magic.server.lineage.parts import BatchStart, Part

#: A line that starts a statement, right after a line ending in a semicolon: where a batch may end.
_CUT = re.compile(
    r";[ \t]*\r?\n(?=[ \t]*(?:INSERT|UPDATE|DELETE|MERGE|SELECT|WITH|CREATE|ALTER|DROP|TRUNCATE|UPSERT|REPLACE)\b)",
    re.IGNORECASE,
)
_STATEMENT_NUMBER = re.compile(r"-(\d+)$")
_WIRE_VERSION = 3


@dataclass(frozen=True)
class BatchFailure:
    """A batch that gave no result: why (one line, e.g. the memory limit's message)."""

    reason: str

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return rebuilt_by_constructor(self)


def plan_batches(sources: Sequence[SqlSource], batches: int, separator: re.Pattern[str] | None) -> list[list[Part]]:
    """Cut the files into at most ``batches`` batches of about equal size, at statement boundaries."""
    total = sum(len(source.text) for source in sources)
    target = total / max(1, batches)
    planned: list[list[Part]] = []
    current: list[Part] = []
    filled = 0
    for index, source in enumerate(sources):
        text, position = source.text, 0
        while position < len(text):
            room = target - filled
            cut = None
            if len(text) - position > room and len(planned) < batches - 1:
                cut = _next_cut(text, position + max(0, int(room)), separator)
            if cut is None or cut >= len(text):
                current.append((index, position, len(text)))
                filled += len(text) - position
                break
            current.append((index, position, cut))
            planned.append(current)
            current, filled, position = [], 0, cut
        if filled >= target and current and len(planned) < batches - 1:
            planned.append(current)
            current, filled = [], 0
        if not text and not any(part[0] == index for part in current):
            current.append((index, 0, 0))  # an empty file is reported where one analysis reports it
    if current:
        planned.append(current)
    return planned


def _next_cut(text: str, start: int, separator: re.Pattern[str] | None) -> int | None:
    found = _CUT.search(text, start)
    cut = found.end() if found else None
    if separator is not None:
        line = separator.search(text, start)
        if line is not None and (cut is None or line.end() < cut):
            cut = line.end()
    return cut


def describe(sources: Sequence[SqlSource], parts: Sequence[Part]) -> tuple[str, str, Span | None]:
    """``(what, file name, span)`` of a batch, for the error that reports it when it failed."""
    index, start, _ = parts[0]
    last_index, _, end = parts[-1]
    first, last = sources[index], sources[last_index]
    start_line = LineIndex(first.text).point(start)[0]
    end_line = LineIndex(last.text).point(max(end - 1, 0))[0] if last.text else 1
    if index == last_index:
        what = f"the statements of {first.name} from line {start_line} to line {end_line}"
        return what, first.name, Span(start_line, 1, end_line + 1, 1)
    what = f"the statements from {first.name} line {start_line} to {last.name} line {end_line}"
    return what, first.name, Span(start_line, 1, start_line, 1)


def analyse_batch(
    files: Sequence[SqlSource],
    parts: Sequence[Part],
    dbvendor: str,
    start: BatchStart,
    *,
    deadline: float | None,
    column_level: bool = True,
) -> bytes:
    """Analyse one batch; its result in the compact form :func:`merge` reads."""
    result, registry, clean = analyze_parts(files, parts, dbvendor, start, deadline=deadline, column_level=column_level)
    return encode(result, registry, clean, start)


# -- the compact form -----------------------------------------------------------------------
def _spans(spans: Sequence[Span]) -> list[tuple[int, ...]]:
    return list(map(tuple, spans))  # marshal takes plain tuples only


def encode(result: LineageResult, registry: Registry, clean: bool, start: BatchStart) -> bytes:
    """A batch's result as marshalled plain tuples (ids as numbers, names by key), with what the merge checks:
    whether it ended cleanly, the defaults it started and ended with, the first spellings it saw and those
    it looked up, the seeded schemas it used and the schemas it declared."""
    keys = registry.object_keys()
    seeded = [(key, start.schemas.get(key)) for key in (keys[i] for i in registry.seed_lookups or ()) if key]
    declared = [(keys[index], names) for index, names in registry.analysed_schemas().items() if keys[index]]
    checks = (
        clean, (start.default_database, start.default_schema), (registry.default_database, registry.default_schema),
        registry.first_spellings(), sorted(registry.spelling_lookups or (), key=str), seeded, declared,
    )  # fmt: skip
    objects = []
    for obj, key in zip(result.dbobjs, keys, strict=True):
        column_keys = registry.column_keys(obj)
        columns = [(int(c.id), c.name, column_keys[c.id], _spans(c.coordinates)) for c in obj.columns]
        objects.append((int(obj.id), obj.name, obj.type, obj.database, obj.schema, obj.written, key,
                        _spans(obj.coordinates), columns, obj.procedure))  # fmt: skip
    relationships = [
        (int(r.id), r.type, r.effect_type, _ref(r.target), [_ref(s) for s in r.sources],
         int(r.process_id) if r.process_id else 0, r.dependency)
        for r in result.relationships
    ]  # fmt: skip
    processes = [
        (int(p.id), p.name, p.effect_type, p.file_name, p.statement_index, int(p.target_id),
         [(int(i), kind) for i, kind in p.sources.items()], (*p.span,) if p.span else None)
        for p in result.processes
    ]  # fmt: skip
    errors = [(e.message, e.error_type, e.file_name, (*e.span,) if e.span else None, e.raw) for e in result.errors]
    return marshal.dumps(
        (_WIRE_VERSION, result.dbvendor, result.dialect, objects, relationships, processes, errors,
         result.statement_count, result.analysed_count, result.timed_out, checks)
    )  # fmt: skip


def _ref(ref: ColumnRef) -> tuple[int, int, list[tuple[int, ...]], str | None, str | None]:
    return int(ref.id), int(ref.parent_id), _spans(ref.coordinates), ref.clause_type, ref.value_kind


# -- the merge ------------------------------------------------------------------------------
class _Merge:
    def __init__(self, dbvendor: str, dialect: str) -> None:
        self.result = LineageResult(dbvendor=dbvendor, dialect=dialect)
        self.counter = 0
        self.tables: dict[Any, DbObject] = {}
        self.result_sets = 0

    def next_id(self) -> str:
        self.counter += 1
        return str(self.counter)

    def add(self, batch: tuple[Any, ...]) -> bool:
        """Merge one decoded batch; False once the analysis stopped at its deadline."""
        _v, _vendor, _dialect, objects, relationships, processes, errors, statements, analysed, timed_out, _ = batch
        result = self.result
        offset = result.statement_count
        # local ids count 1, 2, 3, ... over objects, columns and relationships alike: visit them in that order
        order: list[Any] = [None] * (_last_id(objects, relationships) + 1)
        for obj in objects:
            order[obj[0]] = obj
            for column in obj[8]:
                order[column[0]] = (obj[0], column)
        for relationship in relationships:
            order[relationship[0]] = relationship[0]
        objs: dict[int, DbObject] = {}
        heads: dict[int, tuple[str, str, str, str]] = {}  # a column's ref but for its coordinates
        rels: dict[int, str] = {}
        for local_id, item in enumerate(order):
            if item is None:
                continue
            if isinstance(item, int):
                rels[local_id] = self.next_id()
            elif len(item) == 2:
                parent = objs[item[0]]
                column = self._column(parent, item[1])
                heads[local_id] = (column.id, column.name, parent.id, parent.sql_name)
            else:
                objs[local_id] = self._object(item, offset)
        # the named tuples are made by tuple.__new__, as their own constructors do, less the keyword handling
        new, span_type, ref_type = tuple.__new__, Span, ColumnRef
        append = result.relationships.append
        for local_id, rel_type, effect, target, sources, process_id, dependency in relationships:
            append(new(Relationship, (
                rels[local_id], rel_type, effect,
                new(ref_type, (*heads[target[0]], tuple([new(span_type, s) for s in target[2]]), target[3], target[4])),
                tuple([new(ref_type, (*heads[c], tuple([new(span_type, s) for s in spans]), clause, kind))
                       for c, _, spans, clause, kind in sources]),
                objs[process_id].id if process_id else None, dependency,
            )))  # fmt: skip
        for pid, _name, effect, file_name, index, target_id, sources, span in processes:
            process_obj = objs[pid]
            result.processes.append(Process(
                process_obj.id, process_obj.name, effect, file_name, index + offset, objs[target_id].id,
                {objs[source_id].id: source_kind for source_id, source_kind in sources},
                Span(*span) if span else None,
            ))  # fmt: skip
        result.statement_count += statements
        result.analysed_count += analysed
        for message, error_type, file_name, span, raw in errors:
            if timed_out and error_type == "TimeoutError":
                continue
            result.errors.append(LineageError(message, error_type, file_name, Span(*span) if span else None, raw))
        if timed_out:
            result.timed_out = True
            message = (
                f"analysis stopped at its deadline after {result.statement_count} statements; "
                "later statements were not analysed"
            )
            last = next((e for e in reversed(errors) if e[1] == "TimeoutError"), None)
            span = Span(*last[3]) if last and last[3] else None
            result.errors.append(LineageError(message, "TimeoutError", last[2] if last else "", span))
        return not timed_out

    def _object(self, item: tuple[Any, ...], offset: int) -> DbObject:
        _id, name, obj_type, database, schema, written, key, coordinates, _columns, procedure = item
        key = tuple(key) if key is not None else None
        obj = self.tables.get(key) if key is not None else None
        if obj is None:
            if obj_type == "select_list":
                self.result_sets += 1
                name = f"RS-{self.result_sets}"
            elif obj_type == "process" and offset:
                name = _STATEMENT_NUMBER.sub(lambda m: f"-{int(m.group(1)) + offset}", name)
            spans = _new_spans(coordinates)
            obj = DbObject(self.next_id(), name, obj_type, database, schema, coordinates=spans, written=written,
                           procedure=procedure, _seen=set(spans))  # fmt: skip
            self.result.dbobjs.append(obj)
            if key is not None:
                self.tables[key] = obj
            return obj
        if obj_type == "view":
            obj.type = "view"
        for span in coordinates:
            obj.add_span(tuple.__new__(Span, span))
        return obj

    def _column(self, obj: DbObject, item: tuple[Any, ...]) -> Column:
        _id, name, key, coordinates = item
        column = obj.find_column(key)
        if column is None:
            spans = _new_spans(coordinates)
            column = Column(self.next_id(), name, spans, set(spans))
            obj.columns.append(column)
            obj._column_index[key] = column
            return column
        for span in coordinates:
            column.add_span(tuple.__new__(Span, span))
        return column


def _new_spans(coordinates: Sequence[tuple[int, int, int, int]]) -> list[Span]:
    """The spans of an object or column new to the merge: distinct already (its batch recorded each once)."""
    new, span = tuple.__new__, Span
    return [new(span, s) for s in coordinates]


def _last_id(objects: Sequence[Any], relationships: Sequence[Any]) -> int:
    last: int = max((obj[0] for obj in objects), default=0)
    last = max([last, *(column[0] for obj in objects for column in obj[8])])
    return max(last, int(relationships[-1][0])) if relationships else last


class _Exactness:
    """Whether each batch, taken in order, started with what one analysis of the whole job would have
    known there (defaults, column spellings, the schemas it was seeded with)."""

    def __init__(self) -> None:
        self.spelling: dict[str, str] = {}
        self.schemas: dict[Any, list[str]] = {}
        self.ended: Any = None

    def accept(self, item: tuple[Any, ...] | BatchFailure, last: bool) -> bool:
        if isinstance(item, BatchFailure):
            self.ended = None
            return True
        clean, started, end_defaults, first_spellings, lookups, seeded, declared = item[10]
        if (not last and not clean) or (self.ended is not None and tuple(started) != tuple(self.ended)):
            return False
        if any(self.spelling.get(key, found) != found for key, found in lookups):
            return False
        if any(self.schemas.get(tuple(key), names) != names for key, names in seeded):
            return False
        for key, name in first_spellings.items():
            self.spelling.setdefault(key, name)
        self.schemas.update((tuple(key), names) for key, names in declared)
        self.ended = end_defaults
        return True


class OrderedMerge:
    """The batches of one job merged in order as they arrive, in any order (:meth:`add`), into the result
    one analysis of the whole job gives (:attr:`result`).

    ``failures[i]`` describes batch ``i`` (:func:`describe`) for the error reporting it if it failed. A
    batch is merged as soon as every batch before it is; the others wait, encoded, until then. Once a
    batch shows a cut that was not a statement boundary, :attr:`exact` is False and nothing more is
    merged; once one stopped at the deadline, the later ones are left out, as one analysis stops there.
    """

    def __init__(self, failures: Sequence[tuple[str, str, Span | None]], dbvendor: str, dialect: str) -> None:
        self._failures = failures
        self._waiting: dict[int, bytes | BatchFailure] = {}
        self._next = 0
        self._checks = _Exactness()
        self._merge = _Merge(dbvendor, dialect)
        self._named = False  # whether a batch has given the result its vendor and dialect
        self._stopped = False
        self.exact = True

    @property
    def done(self) -> bool:
        """Whether every batch is merged (or the merge has stopped: not exact, or past the deadline)."""
        return self._next >= len(self._failures) or self._stopped or not self.exact

    @property
    def result(self) -> LineageResult | None:
        """The merged result once :attr:`done`; None if a cut was not a statement boundary."""
        return self._merge.result if self.exact else None

    def add(self, index: int, batch: bytes | BatchFailure) -> None:
        """Take batch ``index``'s result (:func:`encode`) or failure, and merge what is next in order."""
        self._waiting[index] = batch
        while not self.done and self._next in self._waiting:
            position = self._next
            waiting = self._waiting.pop(position)
            item = marshal.loads(waiting) if isinstance(waiting, bytes) else waiting
            self._next += 1
            if not self._checks.accept(item, last=position == len(self._failures) - 1):
                self.exact = False
                self._waiting.clear()
            elif isinstance(item, BatchFailure):
                what, file_name, span = self._failures[position]
                message = f"{what} were not analysed: {item.reason}"
                self._merge.result.errors.append(LineageError(message, "AnalyzeError", file_name, span))
            else:
                if not self._named:
                    self._merge.result.dbvendor, self._merge.result.dialect = item[1], item[2]
                    self._named = True
                self._stopped = not self._merge.add(item)
        if self._stopped:
            self._waiting.clear()


def merge(batches: Sequence[bytes | BatchFailure], failures: Sequence[tuple[str, str, Span | None]],
          dbvendor: str, dialect: str) -> LineageResult | None:
    """The batches' results in order as one result; ``None`` if a cut was not a statement boundary.

    ``failures[i]`` describes batch ``i`` (:func:`describe`) for the error reporting it if it failed.
    """
    merging = OrderedMerge(failures, dbvendor, dialect)
    for index, batch in enumerate(batches):
        merging.add(index, batch)
    return merging.result
