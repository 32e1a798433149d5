"""Analyse one data flow: qualify its query, trace every target column, record relationships."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema

from sqlflow_magic.server.lineage.deadline import Deadline, DeadlineExceeded
from sqlflow_magic.server.lineage.flows import Flow
from sqlflow_magic.server.lineage.model import (
    ROWS_COLUMN,
    Column,
    ColumnRef,
    LineageError,
    LineageResult,
    Process,
    Relationship,
    Span,
)
from sqlflow_magic.server.lineage.registry import Registry, placeholder, placeholder_index
from sqlflow_magic.server.lineage.scanning import LineIndex
from sqlflow_magic.server.lineage.tracer import ROWS_KEY as _ROWS_KEY
from sqlflow_magic.server.lineage.tracer import ColumnTracer, LeafKey

#: Oracle's and MySQL's one-row dummy table: not a data source.
_DUMMY_TABLES = frozenset({"dual"})
_MAX_HINTS = 5
_DEADLINE_STRIDE = 256
#: Qualification settings, tried in order: sqlglot raises without metadata in many legal queries (trap 7).
_ATTEMPTS: tuple[dict[str, bool], ...] = (
    {"expand_alias_refs": True},
    {"expand_alias_refs": False, "allow_partial_qualification": True},
    {"qualify_columns": False},
)


@dataclass
class StatementContext:
    """Where a statement sits: its file, and the offset its node positions are relative to."""

    file_name: str
    text: str
    lines: LineIndex
    base: int
    start: int
    end: int
    number: int
    #: Variables and parameters of an enclosing procedural block (lower case): constants, not columns.
    variables: frozenset[str] = frozenset()

    def span(self, node: exp.Expr | None) -> Span | None:
        """The span of a node, from the positions sqlglot kept on its identifiers."""
        if node is None:
            return None
        starts, ends = [], []
        for part in _positioned_parts(node):
            meta = part.meta
            if "start" in meta:
                starts.append(meta["start"])
                ends.append(meta["end"])
        if not starts:
            return None
        return self.lines.span(self.base + min(starts), self.base + max(ends) + 1)

    @property
    def statement_span(self) -> Span:
        """The span of the whole statement."""
        return self.lines.span(self.start, self.end)

    def snippet(self, limit: int = 80) -> str:
        """The statement's first characters on one line."""
        text = " ".join(self.text[self.start : self.end].split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


class FlowAnalyzer:
    """Turns flows into objects, columns, relationships and processes of one :class:`LineageResult`."""

    def __init__(
        self, registry: Registry, result: LineageResult, dialect: str, deadline: Deadline, column_level: bool = True
    ) -> None:
        self._registry = registry
        self._result = result
        self._dialect = dialect
        self._deadline = deadline
        self._column_level = column_level

    def analyze(self, flow: Flow, ctx: StatementContext) -> None:
        """Record the lineage of one flow."""
        registry = self._registry
        if flow.target is None:
            target = registry.result_set(ctx.statement_span)
        else:
            target = registry.table(flow.target, ctx.span(flow.target), flow.target_type)
        process_obj = registry.process(f"Query {flow.label}-{ctx.number}", ctx.statement_span)
        process = Process(
            process_obj.id, process_obj.name, flow.effect, ctx.file_name, ctx.number,
            registry.objects[target].id, span=ctx.statement_span,
        )  # fmt: skip
        self._result.processes.append(process)
        if flow.query is None:
            keys = [registry.normalize(c.name, _quoted(c.node)) for c in flow.columns or []]
            for key, column in zip(keys, flow.columns or [], strict=True):
                registry.column(target, key, ctx.span(column.node), column.name)
            if flow.defines_schema:
                registry.set_schema(target, keys)
            return
        referenced = self._prepare(flow.query, ctx)
        if not self._column_level:
            kinds = _table_kinds(flow.query, flow.rows_only)
            process.sources = {registry.objects[i].id: kinds[i] for i in referenced if not _is_self(flow, i, target)}
            return
        scope = self._qualify(flow.query, referenced)
        if scope is None:
            self._error(ctx, "AnalysisError", "column-level lineage unavailable: the query could not be resolved")
            process.sources = {registry.objects[i].id: "fdd" for i in referenced if not _is_self(flow, i, target)}
            return
        tracer = ColumnTracer(scope, registry.known_columns)
        used: dict[int, str] = {}
        rows = tracer.rows()
        if flow.rows_only:
            rows_column = registry.column(target, _ROWS_KEY, None, ROWS_COLUMN)
            self._emit("fdr", flow, target, rows_column, None, rows.fdr, ctx, process, used)
        else:
            keys = self._target_columns(flow, tracer, target, ctx)
            for index, (key, display, span) in enumerate(keys):
                if index % _DEADLINE_STRIDE == 0:
                    self._deadline.check()
                trace = tracer.output(index)
                column = registry.column(target, key, span, display)
                self._emit("fdd", flow, target, column, span, trace.fdd, ctx, process, used)
                self._emit("fdr", flow, target, column, span, {**trace.fdr, **rows.fdr}, ctx, process, used)
            if flow.defines_schema:
                registry.set_schema(target, [key for key, _, _ in keys])
        for index in referenced:
            if index not in used and not _is_self(flow, index, target):
                source_rows = {(index, _ROWS_KEY): None}
                rows_column = registry.column(target, _ROWS_KEY, None, ROWS_COLUMN)
                self._emit("fdr", flow, target, rows_column, None, source_rows, ctx, process, used)
        process.sources = {registry.objects[i].id: kind for i, kind in used.items() if not _is_self(flow, i, target)}
        self._hints(tracer, ctx)

    # -- preparation -------------------------------------------------------------------------
    def _prepare(self, query: exp.Expr, ctx: StatementContext) -> list[int]:
        """Register the query's tables and rename them to placeholders (only CTE names stay)."""
        registry = self._registry
        ctes = {registry.normalize(cte.alias, _quoted(cte.args["alias"].this)) for cte in query.find_all(exp.CTE)}
        if ctx.variables:
            _replace_variables(query, ctx.variables)
        referenced: dict[int, None] = {}
        for table in list(query.find_all(exp.Table)):
            name = table.this
            if not isinstance(name, (exp.Identifier, exp.Parameter)):
                continue
            is_bare = table.args.get("db") is None and table.args.get("catalog") is None
            if is_bare and registry.normalize(table.name, _quoted(name)) in ctes:
                continue
            if is_bare and table.name.lower() in _DUMMY_TABLES and not _quoted(name):
                continue
            index = registry.table(table, ctx.span(table))
            referenced[index] = None
            alias = table.args.get("alias")
            if alias is None or not alias.name:
                alias_name = name.copy() if isinstance(name, exp.Identifier) else exp.to_identifier(table.name)
                table.set("alias", exp.TableAlias(this=alias_name))
            table.set("this", exp.to_identifier(placeholder(index), quoted=True))
            table.set("db", None)
            table.set("catalog", None)
        return list(referenced)

    def _qualify(self, query: exp.Expr, referenced: list[int]) -> Scope | None:
        schema = MappingSchema(self._registry.mini_schema(referenced), dialect=self._dialect, normalize=False)
        for number, options in enumerate(_ATTEMPTS):
            candidate = query.copy() if number < len(_ATTEMPTS) - 1 else query
            try:
                if options.get("qualify_columns", True):
                    _bind_single_source_columns(candidate, self._registry.known_columns)
                qualified = qualify(
                    candidate, dialect=self._dialect, schema=schema, validate_qualify_columns=False,
                    identify=False, quote_identifiers=False, **options,
                )  # fmt: skip
                scope = build_scope(qualified)
            except DeadlineExceeded:
                raise
            except Exception:
                continue
            if scope is not None and isinstance(scope.expression, exp.Query):
                return scope
        return None

    def _target_columns(
        self, flow: Flow, tracer: ColumnTracer, target: int, ctx: StatementContext
    ) -> list[tuple[str, str, Span | None]]:
        registry = self._registry
        selects = tracer.root.expression.selects
        if flow.columns:
            return [
                (registry.normalize(c.name, _quoted(c.node)), c.name, ctx.span(c.node))
                for c in flow.columns[: len(selects)]
            ]
        known = registry.known_columns(target) if not flow.defines_schema else None
        if known and len(known) == len(selects):
            return [(key, registry.display(key), ctx.span(select)) for key, select in zip(known, selects, strict=True)]
        keys = []
        for select in selects:
            name = select.alias_or_name
            if name.startswith("_col_") and isinstance(select, exp.Alias):
                display = select.this.sql(dialect=self._dialect)[:120]
                keys.append((display, display, ctx.span(select.this)))
            else:
                keys.append((name, registry.display(name), ctx.span(select)))
        return keys

    # -- output ------------------------------------------------------------------------------
    def _emit(
        self, kind: str, flow: Flow, target: int, column: Column, span: Span | None,
        leaves: dict[LeafKey, exp.Expr | None], ctx: StatementContext, process: Process, used: dict[int, str],
    ) -> None:  # fmt: skip
        if not leaves:
            return
        registry = self._registry
        sources = []
        for (index, name), node in leaves.items():
            node_span = ctx.span(node)
            display = ROWS_COLUMN if name == _ROWS_KEY else None
            source_column = registry.column(index, name, node_span, display)
            obj = registry.objects[index]
            spans = (node_span,) if node_span else ()
            sources.append(ColumnRef(source_column.id, source_column.name, obj.id, obj.name, spans))
            if used.get(index) != "fdd":
                used[index] = kind
        target_obj = registry.objects[target]
        target_ref = ColumnRef(column.id, column.name, target_obj.id, target_obj.name, (span,) if span else ())
        relationship = Relationship(registry.new_id(), kind, flow.effect, target_ref, tuple(sources), process.id)
        self._result.relationships.append(relationship)

    def _hints(self, tracer: ColumnTracer, ctx: StatementContext) -> None:
        for names, message in (
            (tracer.orphans, "orphan column {}: it could not be linked to any table of the statement"),
            (tracer.ambiguous, "column {} could belong to several tables (no metadata); linked to the first"),
        ):
            for name, node in list(names.items())[:_MAX_HINTS]:
                self._error(ctx, "OrphanColumn", message.format(name), ctx.span(node))
            if len(names) > _MAX_HINTS:
                self._error(ctx, "OrphanColumn", f"... and {len(names) - _MAX_HINTS} more such columns")

    def _error(self, ctx: StatementContext, error_type: str, message: str, span: Span | None = None) -> None:
        error = LineageError(f"{message} [{ctx.snippet(60)}]", error_type, ctx.file_name, span or ctx.statement_span)
        self._result.errors.append(error)


_ROW_CLAUSE_TYPES = (exp.Where, exp.Having, exp.Qualify, exp.Group)


def _table_kinds(query: exp.Expr, rows_only: bool) -> dict[int, str]:
    """Table level without column analysis: a table read only inside a filter (WHERE, HAVING, QUALIFY,
    GROUP BY, JOIN ON, the right side of EXCEPT) is ``fdr``, any other table ``fdd``. An approximation:
    a CTE used only in a filter still counts as ``fdd``."""
    kinds: dict[int, str] = {}
    for table in query.find_all(exp.Table):
        index = placeholder_index(table.name)
        if index is None:
            continue
        kind = "fdr" if rows_only or _in_filter(table, query) else "fdd"
        if kinds.get(index) != "fdd":
            kinds[index] = kind
    return kinds


def _in_filter(node: exp.Expr, root: exp.Expr) -> bool:
    child, parent = node, node.parent
    while parent is not None and child is not root:
        if isinstance(parent, _ROW_CLAUSE_TYPES):
            return True
        if isinstance(parent, exp.Join) and child is parent.args.get("on"):
            return True
        if isinstance(parent, exp.Except) and child is parent.expression:
            return True
        child, parent = parent, parent.parent
    return False


def _replace_variables(query: exp.Expr, variables: frozenset[str]) -> None:
    """``WHERE day = p_day`` in a procedure: ``p_day`` (and ``rec.field`` of a loop record) is no column."""
    for column in list(query.find_all(exp.Column)):
        qualifier = column.table.lower()
        if (qualifier and qualifier in variables) or (not qualifier and column.name.lower() in variables):
            column.replace(exp.Var(this=column.sql()))


def _is_self(flow: Flow, index: int, target: int) -> bool:
    return flow.target_is_read and index == target


def _quoted(node: exp.Expr | None) -> bool:
    return bool(isinstance(node, exp.Identifier) and node.quoted)


def _positioned_parts(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Identifier):
        return [node]
    if isinstance(node, (exp.Column, exp.Table)):
        return [part for part in node.parts if isinstance(part, exp.Identifier)]
    if isinstance(node, exp.Alias):
        alias = node.args.get("alias")
        if isinstance(alias, exp.Identifier) and "start" in alias.meta:
            return [alias]
        return _positioned_parts(node.this)
    return list(itertools.islice(node.find_all(exp.Identifier), 64))


def _bind_single_source_columns(query: exp.Expr, known_columns: Callable[[int], list[str] | None]) -> None:
    """Qualify unqualified columns of single-source SELECTs, as SQL resolves them (innermost first).

    Without this, sqlglot refuses any unqualified column of a subquery that could be correlated
    when a table's columns are unknown (trap 7). A column the only table is known to lack is left
    alone: it is a correlated reference.
    """
    for scope in traverse_scope(query):
        select = scope.expression
        if not isinstance(select, exp.Select) or len(scope.selected_sources) != 1:
            continue
        alias, (_, source) = next(iter(scope.selected_sources.items()))
        known = None
        if isinstance(source, exp.Table) and (index := placeholder_index(source.name)) is not None:
            known = known_columns(index)
        # ``GROUP BY r`` may name the output ``region AS r``: leave such names to the tracer.
        renamed = {
            s.alias
            for s in select.selects
            if isinstance(s, exp.Alias) and not (isinstance(s.this, exp.Column) and s.this.name == s.alias)
        }
        in_projection = {id(c) for s in select.selects for c in s.find_all(exp.Column)}
        for column in scope.columns:
            if column.table or (column.name in renamed and id(column) not in in_projection):
                continue
            if known is not None and column.name not in known:
                continue
            column.set("table", exp.to_identifier(alias))
