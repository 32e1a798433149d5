"""One analysis of a job's files: statements parsed in order, each dispatched by kind (``dispatch.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from sqlglot import exp

from sqlflow_magic.server.lineage.analysis.analyzer import FlowAnalyzer
from sqlflow_magic.server.lineage.analysis.context import StatementContext
from sqlflow_magic.server.lineage.analysis.registry import Registry, TableKey
from sqlflow_magic.server.lineage.analysis.routines import RoutineObjects
from sqlflow_magic.server.lineage.deadline import Deadline, DeadlineExceeded
from sqlflow_magic.server.lineage.dispatch import SQL_LANGUAGES, StatementDispatch
from sqlflow_magic.server.lineage.input.dialects import DialectChoice
from sqlflow_magic.server.lineage.input.first_pass import Definition, UseStatement, collect_definitions, collect_uses
from sqlflow_magic.server.lineage.input.parsing import ScriptParser, Statement
from sqlflow_magic.server.lineage.input.routines import Routine
from sqlflow_magic.server.lineage.input.scanning import Failure, LineIndex
from sqlflow_magic.server.lineage.input.sqlglot_tools import parse_statements
from sqlflow_magic.server.lineage.model import LineageError, LineageResult, Span, SqlSource
from sqlflow_magic.server.lineage.parts import Part


@dataclass(frozen=True)
class FirstPass:
    """What the first pass found in a job: its CREATE TABLE/VIEW column lists and its USE statements."""

    definitions: list[Definition]
    uses: list[UseStatement]


class Session:
    """One analysis: the parser, the registry and the result it fills, file by file and statement by statement."""

    #: Compiled (setup.py), a class deletes only the attributes it names here: :meth:`run` drops its dispatch.
    __deletable__ = ("dispatch",)

    def __init__(
        self,
        choice: DialectChoice,
        default_database: str | None,
        default_schema: str | None,
        deadline: Deadline,
        column_level: bool,
    ) -> None:
        self.choice = choice
        self.parser = ScriptParser(choice, deadline)
        dialect = self.parser.dialect
        self.registry = Registry(
            dialect,
            two_level_names=choice.two_level_names,
            default_database=default_database,
            default_schema=default_schema,
        )
        self.result = LineageResult(dbvendor=choice.vendor, dialect=choice.dialect or "default")
        self.deadline = deadline
        self.analyzer = FlowAnalyzer(self.registry, self.result, dialect, deadline, column_level)
        self._where: tuple[str, Span | None] = ("", None)
        self._source = SqlSource("", "")
        self._lines = LineIndex("")
        self._routines = RoutineObjects(self.registry)
        self.dispatch = StatementDispatch(
            choice, dialect, self.registry, self.analyzer, self._report, self._routine_body
        )
        self.clean_ends = True

    def first_pass(self, files: Sequence[SqlSource], referenced_only: bool = False) -> FirstPass:
        """Collect the job's DDL; the key of each table is filed under the USE statements before it.

        ``referenced_only``: only the DDL of tables whose names occur elsewhere in the job
        (``collect_definitions``): enough for one analysis of the whole job, not for a batch."""
        registry, parse = self.registry, partial(parse_statements, self.choice.dialect)
        uses = collect_uses(files, parse)
        initial = (registry.default_database, registry.default_schema)
        pending = iter(uses)
        upcoming = next(pending, None)

        def key_of(table: exp.Table, file_index: int, offset: int) -> TableKey:
            nonlocal upcoming
            while upcoming is not None and (upcoming.file_index, upcoming.offset) < (file_index, offset):
                self.dispatch.use(upcoming.expression)
                upcoming = next(pending, None)
            return registry.table_key(table)

        try:
            definitions = collect_definitions(files, parse, key_of, registry.normalize, referenced_only)
        finally:
            registry.default_database, registry.default_schema = initial
        return FirstPass(definitions, uses)

    def run(
        self, files: Sequence[SqlSource], parts: Sequence[Part] | None = None, dialect_note: bool = True
    ) -> LineageResult:
        """Analyse ``files`` (or only their ``parts``) into the result: the session's last step; it runs once."""
        result = self.result
        if self.choice.fallback_message and dialect_note:
            result.errors.append(LineageError(self.choice.fallback_message, "DialectFallback"))
        if not files:
            result.errors.append(LineageError("no SQL files to analyse", "EmptyInput"))
        try:
            if parts is None:
                for source in files:
                    self._file(source)
            else:
                for file_index, start, end in parts:
                    self._file(files[file_index], start, end)
        except DeadlineExceeded:
            result.timed_out = True
            file_name, span = self._where
            message = (
                f"analysis stopped at its deadline after {result.statement_count} statements; "
                "later statements were not analysed"
            )
            result.errors.append(LineageError(message, "TimeoutError", file_name, span))
        finally:
            # the dispatch calls back into this session (routine bodies, reports): dropping it ends that
            # cycle, so that the result is freed as soon as the caller lets it go, not at the collector's
            # next full walk (docs/engine.md, "An analysis is freed as soon as it is let go")
            del self.dispatch
        result.dbobjs = self.registry.objects
        return result

    def _file(self, source: SqlSource, start: int = 0, end: int | None = None) -> None:
        """Analyse a file, or its text from ``start`` to ``end`` (a part of it, see :func:`analyze_parts`)."""
        result = self.result
        whole = end is None or (start == 0 and end >= len(source.text))
        if source.decode_error and start == 0:
            result.errors.append(LineageError(source.decode_error, "DecodeError", source.name))
        if not source.text.strip():
            if not source.decode_error:
                result.errors.append(LineageError(f"{source.name}: the file is empty", "EmptyInput", source.name))
            return
        if self._source is not source:
            self._source, self._lines = source, LineIndex(source.text)
        self._where = (source.name, None)
        text = source.text if whole else source.text[start:end]
        if not self._items(self.parser.parse(text), start, in_block=False) and whole:
            message = f"{source.name}: no SQL statements (only comments or whitespace)"
            result.errors.append(LineageError(message, "EmptyInput", source.name))
        if end is not None and end < len(source.text) and not self.parser.ended_cleanly:
            self.clean_ends = False

    def _items(
        self, items: Iterable[Statement | Failure], offset: int, in_block: bool, routine: Routine | None = None
    ) -> bool:
        """Analyse parsed statements (of a text at ``offset`` in the file) and report failures.

        ``routine``: the routine whose string body the text is (its statements belong to it)."""
        result, source, found = self.result, self._source, False
        for item in items:
            found = True
            if isinstance(item, Failure):
                span = self._lines.span(item.start + offset, item.end + offset)
                result.errors.append(LineageError(item.message, item.error_type, source.name, span, item.raw))
                if item.error_type == "SyntaxError":
                    result.statement_count += 1
                continue
            if offset or in_block:
                item = item.moved(offset, in_block, routine)
            self._statement(item, source, self._lines)
        return found

    def _routine_body(self, body: str, ctx: StatementContext, routine: Routine | None, language: str) -> None:
        """A procedure body kept as a string (``AS $$ ... $$``): parse and analyse it in place.

        A body in another language than SQL (``LANGUAGE JAVASCRIPT``, ``plpython3u``) is reported, not parsed."""
        if language not in SQL_LANGUAGES:
            name = routine.name if routine else "routine"
            message = f"{name}: body in LANGUAGE {language} not analysed (only SQL bodies are) [{ctx.snippet(60)}]"
            self._report("UnsupportedStatement", message, ctx)
            return
        offset = ctx.text.find(body, ctx.start, ctx.end)
        if offset == -1 or not body.strip():
            self._report("ProceduralCode", f"routine body not analysed [{ctx.snippet(60)}]", ctx)
            return
        message = f"routine body analysed statement by statement; its control flow was skipped [{ctx.snippet(60)}]"
        self._report("ProceduralCode", message, ctx)
        self._items(self.parser.parse(body), offset, in_block=True, routine=routine)

    def _statement(self, statement: Statement, source: SqlSource, lines: LineIndex) -> None:
        result = self.result
        result.statement_count += 1
        ctx = StatementContext(
            source.name,
            source.text,
            lines,
            statement.base,
            statement.start,
            statement.end,
            result.statement_count,
            statement.variables,
        )
        self._where = (source.name, ctx.statement_span)
        self.registry.procedure = self._routines.enter(statement.routine, source.name, lines)
        if statement.note:
            result.errors.append(LineageError(statement.note, "Rewritten", source.name, ctx.statement_span))
        try:
            self.dispatch.statement(statement.expression, ctx, statement.in_block, statement.routine)
        except DeadlineExceeded:
            raise
        except Exception as exc:  # RecursionError on absurd nesting included: report, keep going
            message = f"could not analyse the statement ({type(exc).__name__}: {str(exc)[:200]}) [{ctx.snippet(60)}]"
            result.errors.append(LineageError(message, "AnalyzeError", source.name, ctx.statement_span))
            return
        result.analysed_count += 1

    def _report(self, error_type: str, message: str, ctx: StatementContext) -> None:
        self.result.errors.append(LineageError(message, error_type, ctx.file_name, ctx.statement_span))
