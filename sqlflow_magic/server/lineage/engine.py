"""The entry point: :func:`analyze` a set of SQL files into a :class:`LineageResult`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlglot import exp

from sqlflow_magic.server.lineage.analysis.analyzer import FlowAnalyzer
from sqlflow_magic.server.lineage.analysis.context import StatementContext
from sqlflow_magic.server.lineage.analysis.inner_spans import inner_context
from sqlflow_magic.server.lineage.analysis.registry import Registry, TableKey
from sqlflow_magic.server.lineage.analysis.routines import RoutineObjects
from sqlflow_magic.server.lineage.analysis.walking import dismantle
from sqlflow_magic.server.lineage.deadline import Deadline, DeadlineExceeded
from sqlflow_magic.server.lineage.flows.ddl import command_flows, ddl_flows
from sqlflow_magic.server.lineage.flows.paths import path_flows, unload_flows
from sqlflow_magic.server.lineage.flows.statements import Flow, flows_for, nested_statements
from sqlflow_magic.server.lineage.input.dialects import DialectChoice, choose_dialect
from sqlflow_magic.server.lineage.input.first_pass import (
    Definition,
    UseStatement,
    collect_definitions,
    collect_uses,
    schemas_at,
    spellings_at,
)
from sqlflow_magic.server.lineage.input.parsing import ScriptParser, Statement
from sqlflow_magic.server.lineage.input.routines import Routine
from sqlflow_magic.server.lineage.input.scanning import Failure, LineIndex
from sqlflow_magic.server.lineage.model import LineageError, LineageResult, Span, SqlSource
from sqlflow_magic.server.lineage.parts import BatchStart, Part

#: Commands (statements sqlglot could not parse) that move no data: reported only as hints.
_NO_LINEAGE_COMMANDS = frozenset(
    {
        "PRINT", "SET", "GRANT", "REVOKE", "COMMENT", "ANALYZE", "VACUUM", "SHOW", "DESCRIBE", "DESC",
        "EXPLAIN", "PROMPT", "SPOOL", "WHENEVER", "REFRESH", "MSCK", "LOCK", "UNLOCK", "CHECKPOINT",
        "RAISERROR", "THROW", "COMMIT", "ROLLBACK", "BEGIN", "START", "SAVEPOINT", "DBCC", "KILL",
        "WAITFOR", "OPEN", "CLOSE", "FETCH", "DEALLOCATE", "EXIT", "REM", "DEFINE", "UNDEFINE", "DROP",
        "ALTER", "USE", "DECLARE", "RETURN", "BREAK", "CONTINUE", "GOTO", "END", "NULL", "RESET",
        "DELIMITER", "CONNECT", "DISCONNECT", "EXEC", "EXECUTE", "CALL", "IF", "ELSE", "WHILE",
    }
)  # fmt: skip
_MAX_NESTING = 50
_ROUTINES = frozenset({"PROCEDURE", "FUNCTION", "TRIGGER"})
#: Languages of routine bodies the engine parses as SQL (PL/pgSQL and PL/SQL-like scripting included).
_SQL_LANGUAGES = frozenset({"SQL", "PLPGSQL", "PLSQL", "SPL", "EDBSPL", "TSQL"})


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
    syntactic rule rather than by tracing columns.
    Never raises on bad SQL: problems become entries of ``errors`` (see :class:`LineageResult`).
    Changes no process-wide state (garbage collector, logging): a process that runs long analyses
    sets its collector up itself, as the server's analysis processes do
    (:func:`sqlflow_magic.server.pool_child.tune_collector`).
    """
    choice = choose_dialect(dbvendor)
    session = _Session(choice, default_database, default_schema, Deadline(deadline), column_level)
    session.registry.seed_schemas(schemas_at(session.first_pass(files).definitions, 0, 0))
    return session.run(files)


@dataclass(frozen=True)
class FirstPass:
    """What the first pass found in a job: its CREATE TABLE/VIEW column lists and its USE statements."""

    definitions: list[Definition]
    uses: list[UseStatement]


def first_pass(
    files: Sequence[SqlSource], dbvendor: str, *, default_database: str | None = None,
    default_schema: str | None = None,
) -> FirstPass:
    """The first pass over a job (``input/first_pass.py``), as :func:`analyze` makes it."""
    session = _Session(choose_dialect(dbvendor), default_database, default_schema, Deadline(None), False)
    return session.first_pass(files)


def batch_start(
    found: FirstPass, file_index: int, offset: int, dbvendor: str, *, default_database: str | None = None,
    default_schema: str | None = None,
) -> BatchStart:
    """What one analysis of the whole job knows when it reaches ``offset`` of file ``file_index``."""
    session = _Session(choose_dialect(dbvendor), default_database, default_schema, Deadline(None), False)
    registry = session.registry
    for use in found.uses:
        if (use.file_index, use.offset) < (file_index, offset):
            session._use(use.expression)
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
    session = _Session(choice, start.default_database, start.default_schema, Deadline(deadline), column_level)
    session.registry.seed_schemas(start.schemas)
    session.registry.seed_spelling(start.spelling)
    session.registry.spelling_lookups = set()
    session.registry.seed_lookups = set()
    result = session.run(files, parts, dialect_note=parts[0][:2] == (0, 0) if parts else True)
    return result, session.registry, session.clean_ends


class _Session:
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
        self._routine: Routine | None = None
        self.clean_ends = True

    def first_pass(self, files: Sequence[SqlSource]) -> FirstPass:
        """Collect the job's DDL; the key of each table is filed under the USE statements before it."""
        registry, dialect = self.registry, self.parser.dialect
        uses = collect_uses(files, dialect)
        initial = (registry.default_database, registry.default_schema)
        pending = iter(uses)
        upcoming = next(pending, None)

        def key_of(table: exp.Table, file_index: int, offset: int) -> TableKey:
            nonlocal upcoming
            while upcoming is not None and (upcoming.file_index, upcoming.offset) < (file_index, offset):
                self._use(upcoming.expression)
                upcoming = next(pending, None)
            return registry.table_key(table)

        try:
            definitions = collect_definitions(files, dialect, key_of, registry.normalize)
        finally:
            registry.default_database, registry.default_schema = initial
        return FirstPass(definitions, uses)

    def run(
        self, files: Sequence[SqlSource], parts: Sequence[Part] | None = None, dialect_note: bool = True
    ) -> LineageResult:
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
                item = replace(
                    item,
                    base=item.base + offset,
                    start=item.start + offset,
                    end=item.end + offset,
                    in_block=in_block or item.in_block,
                    routine=item.routine.moved(offset) if item.routine else routine,
                )
            self._statement(item, source, self._lines)
        return found

    def _routine_body(self, body: str, ctx: StatementContext, routine: Routine | None, language: str) -> None:
        """A procedure body kept as a string (``AS $$ ... $$``): parse and analyse it in place.

        A body in another language than SQL (``LANGUAGE JAVASCRIPT``, ``plpython3u``) is reported, not parsed."""
        if language not in _SQL_LANGUAGES:
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
        self._routine = statement.routine
        self.registry.procedure = self._routines.enter(statement.routine, source.name, lines)
        if statement.note:
            result.errors.append(LineageError(statement.note, "Rewritten", source.name, ctx.statement_span))
        try:
            self._dispatch(statement.expression, ctx, statement.in_block, 0)
        except DeadlineExceeded:
            raise
        except Exception as exc:  # RecursionError on absurd nesting included: report, keep going
            message = f"could not analyse the statement ({type(exc).__name__}: {str(exc)[:200]}) [{ctx.snippet(60)}]"
            result.errors.append(LineageError(message, "AnalyzeError", source.name, ctx.statement_span))
            return
        result.analysed_count += 1

    def _dispatch(self, expression: exp.Expr, ctx: StatementContext, in_block: bool, depth: int) -> None:
        if _is_routine(expression):
            body = _string_body(expression)
            if body is not None:
                if depth < _MAX_NESTING:
                    language = expression.find(exp.LanguageProperty)
                    self._routine_body(body, ctx, self._routine, language.name.upper() if language else "SQL")
                return
        nested = nested_statements(expression)
        if nested is not None and depth < _MAX_NESTING:
            for inner in nested:
                leaf = nested_statements(inner) is None
                self._dispatch(inner, inner_context(ctx, inner) if leaf else ctx, True, depth + 1)
            return
        if isinstance(expression, exp.Command):
            self._command(expression, ctx)
            return
        if isinstance(expression, exp.Use):
            self._use(expression)
            return
        if isinstance(expression, exp.Execute):
            message = f"procedure call not analysed (its body is not part of the job) [{ctx.snippet(60)}]"
            self._report("UnsupportedStatement", message, ctx)
            return
        into_is_variable = self.choice.select_into_is_variable or (in_block and self.choice.dialect != "tsql")
        flows = ddl_flows(expression)
        if flows is None:
            flows = path_flows(expression)
        if flows is None:
            flows = flows_for(expression, into_is_variable=into_is_variable)
        self._analyse_flows(flows, expression, ctx)

    def _analyse_flows(self, flows: list[Flow], expression: exp.Expr, ctx: StatementContext) -> None:
        try:
            for flow in flows:
                self.analyzer.analyze(flow, ctx)
        finally:
            apart = [f.query for f in flows if f.query is not None and f.query.root() is not expression]
            dismantle(expression)
            for query in apart:
                dismantle(query)

    def _command(self, command: exp.Command, ctx: StatementContext) -> None:
        keyword = str(command.this or "").upper()
        if keyword in ("ALTER", "RENAME"):  # EXCHANGE PARTITION, RENAME TABLE: commands for sqlglot, flows for lineage
            flows = command_flows(ctx.text[ctx.start : ctx.end], ctx.start - ctx.base, self.parser.dialect)
            if flows:
                self._analyse_flows(flows, command, ctx)
                return
        if keyword == "UNLOAD":  # Redshift UNLOAD ('select ...') TO 's3://...': its query flows into the path
            flows = unload_flows(ctx.text[ctx.start : ctx.end], ctx.start - ctx.base, self.parser.dialect)
            if flows:
                self._analyse_flows(flows, command, ctx)
                return
        dialect = self.choice.dialect or "default"
        if keyword in _NO_LINEAGE_COMMANDS:
            message = f"statement not analysed (sqlglot {dialect} reads it as a generic command) [{ctx.snippet()}]"
            self._report("UnsupportedStatement", message, ctx)
        else:
            message = (
                f"statement not analysed: sqlglot ({dialect}) does not support this syntax and fell back "
                f"to a generic command, so its lineage is missing [{ctx.snippet()}]"
            )
            self._report("SyntaxHint", message, ctx)

    def _use(self, use: exp.Use) -> None:
        kind = str(use.args.get("kind") or "").upper()
        target = use.this
        if not isinstance(target, exp.Table) or kind not in ("", "DATABASE", "SCHEMA"):
            return
        registry = self.registry
        if kind == "SCHEMA":
            registry.default_schema = target.name
            if target.args.get("db") is not None:
                registry.default_database = target.args["db"].name
        elif kind == "DATABASE" or self.choice.two_level_names or self.choice.dialect == "tsql":
            registry.default_database = target.name

    def _report(self, error_type: str, message: str, ctx: StatementContext) -> None:
        self.result.errors.append(LineageError(message, error_type, ctx.file_name, ctx.statement_span))


def _is_routine(expression: exp.Expr) -> bool:
    return isinstance(expression, exp.Create) and str(expression.args.get("kind") or "").upper() in _ROUTINES


def _string_body(create: exp.Expr) -> str | None:
    """The text of a routine body given as a string (``AS $$ ... $$`` or ``AS '...'``), if it is one."""
    body = create.expression
    if isinstance(body, exp.Block) and len(body.expressions) == 1:
        body = body.expressions[0]
    if isinstance(body, (exp.RawString, exp.Heredoc)) or (isinstance(body, exp.Literal) and body.is_string):
        text = body.this if isinstance(body.this, str) else body.name
        return text or None
    return None
