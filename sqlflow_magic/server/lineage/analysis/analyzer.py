"""Analyse one data flow: qualify its query, trace every target column, record relationships."""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from sqlflow_magic.server.lineage.analysis.context import StatementContext
from sqlflow_magic.server.lineage.analysis.leaves import AGGREGATION, IDENTITY, VALUE_KINDS, LeafKey
from sqlflow_magic.server.lineage.analysis.registry import Registry, placeholder
from sqlflow_magic.server.lineage.analysis.rewriting import qualify_query, replace_variables, table_kinds
from sqlflow_magic.server.lineage.analysis.tracer import ROWS_KEY as _ROWS_KEY
from sqlflow_magic.server.lineage.analysis.tracer import ColumnTracer
from sqlflow_magic.server.lineage.analysis.walking import dismantle, outputs, worth_dismantling
from sqlflow_magic.server.lineage.deadline import Deadline
from sqlflow_magic.server.lineage.flows.paths import OBJECT_TYPE_META
from sqlflow_magic.server.lineage.flows.statements import Flow
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

#: Oracle's and MySQL's one-row dummy table: not a data source.
_DUMMY_TABLES = frozenset({"dual"})
_MAX_HINTS = 5
_DEADLINE_STRIDE = 256


class FlowAnalyzer:
    """Turns flows into objects, columns, relationships and processes of one :class:`LineageResult`."""

    def __init__(
        self, registry: Registry, result: LineageResult, dialect: Dialect, deadline: Deadline, column_level: bool = True
    ) -> None:
        self._registry = registry
        self._result = result
        self._dialect = dialect
        self._deadline = deadline
        self._column_level = column_level
        #: The source end of each leaf of the current flow, by leaf and node id: row sources recur in
        #: every column's relationships, and the result keeps every tuple (tracked by the GC).
        self._refs: dict[tuple[LeafKey, int, str | None], ColumnRef] = {}

    def analyze(self, flow: Flow, ctx: StatementContext) -> None:
        """Record the lineage of one flow."""
        registry = self._registry
        self._refs = {}
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
            registry.remember_spelling({key: c.name for key, c in zip(keys, flow.columns or [], strict=True)})
            for key, column in zip(keys, flow.columns or [], strict=True):
                registry.column(target, key, ctx.span(column.node), column.name)
            if flow.defines_schema:
                registry.set_schema(target, keys)
            return
        referenced, nested, registered = self._prepare(flow.query, ctx)
        if not self._column_level:
            kinds = table_kinds(registered, flow.query, flow.rows_only)
            process.sources = {registry.objects[i].id: kinds[i] for i in referenced if not _is_self(flow, i, target)}
            return
        schema = registry.mini_schema(referenced)
        scope = qualify_query(flow.query, self._dialect, schema, registry.known_columns, registry.normalize, nested)
        if scope is None:
            self._error(ctx, "AnalyzeError", "column-level lineage unavailable: the query could not be resolved")
            process.sources = {registry.objects[i].id: "fdd" for i in referenced if not _is_self(flow, i, target)}
            return
        try:
            self._record_columns(flow, ColumnTracer(scope, registry.known_columns), target, referenced, ctx, process)
        finally:
            if worth_dismantling(ctx.number):
                dismantle(scope.expression if scope.expression is not flow.query else None, scope)

    def _record_columns(
        self, flow: Flow, tracer: ColumnTracer, target: int, referenced: list[int], ctx: StatementContext,
        process: Process,
    ) -> None:  # fmt: skip
        registry = self._registry
        used: dict[int, str] = {}
        rows = tracer.rows()
        if flow.rows_only:
            rows_column = registry.column(target, _ROWS_KEY, None, ROWS_COLUMN)
            self._emit("fdr", flow, target, rows_column, None, rows.fdr, ctx, process, used, rows.clauses)
        else:
            keys = self._target_columns(flow, tracer, target, ctx)
            selects = outputs(tracer.root)
            for index, (key, display, span) in enumerate(keys):
                if index % _DEADLINE_STRIDE == 0:
                    self._deadline.check()
                trace = tracer.output(index)
                column = registry.column(target, key, span, display)
                kinds = {leaf: VALUE_KINDS[kind] for leaf, kind in trace.kinds.items()}
                dependency = _dependency(trace.kinds, selects[index] if index < len(selects) else None)
                self._emit("fdd", flow, target, column, span, trace.fdd, ctx, process, used, kinds, dependency)
                clauses = {**rows.clauses, **trace.clauses}  # a window of this output is the nearer clause
                self._emit("fdr", flow, target, column, span, {**trace.fdr, **rows.fdr}, ctx, process, used, clauses)
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
    def _prepare(self, query: exp.Expr, ctx: StatementContext) -> tuple[list[int], bool, list[tuple[exp.Table, int]]]:
        """Register the query's tables; for column level, rename them to placeholders (only CTE names stay).

        For column level, also normalises the query's identifiers as ``qualify`` would
        (sqlglot's ``normalize_identifiers``), between registering the tables (by their names as
        written) and renaming them. Returns the referenced objects, whether the query holds
        another SELECT (column level only), and each registered table with its object.
        """
        registry = self._registry
        tables, withs, columns, identifiers, ctes, nested = [], [], [], [], set(), False
        # Table level reads only tables and CTEs: sqlglot's typed walk finds them without a Python
        # test per node (identifiers are most of the nodes); columns are looked up only when needed.
        walk = query.bfs() if self._column_level else query.find_all(exp.Table, exp.CTE, exp.With)
        for node in walk:
            if isinstance(node, exp.Identifier):
                identifiers.append((node, node.this))
            elif isinstance(node, exp.Column):
                columns.append(node)
            elif isinstance(node, exp.Select):
                nested = nested or node is not query
            elif isinstance(node, exp.Table):
                tables.append(node)
            elif isinstance(node, exp.CTE):
                ctes.add(registry.normalize(node.alias, _quoted(node.args["alias"].this)))
            elif isinstance(node, exp.With):
                withs.append(node)
        _mark_recursive_ctes(withs)
        if not self._column_level and ctx.variables:
            columns = list(query.find_all(exp.Column))
        if ctx.variables:
            replace_variables(columns, ctx.variables)
        referenced: dict[int, None] = {}
        registered: list[tuple[exp.Table, int]] = []
        for table in tables:
            name = table.this
            if not isinstance(name, (exp.Identifier, exp.Parameter)):
                continue
            is_bare = table.args.get("db") is None and table.args.get("catalog") is None
            if is_bare and registry.normalize(table.name, _quoted(name)) in ctes:
                continue
            if is_bare and table.name.lower() in _DUMMY_TABLES and not _quoted(name):
                continue
            index = registry.table(table, ctx.span(table), table.meta.get(OBJECT_TYPE_META, "table"))
            referenced[index] = None
            registered.append((table, index))
        if not self._column_level:  # nothing qualifies the query: its tables keep their names
            return list(referenced), nested, registered
        normalize_identifiers(query, dialect=self._dialect)
        spelling: dict[str, str] = {}
        for identifier, written in identifiers:
            if isinstance(written, str):
                spelling.setdefault(identifier.this, written)
        registry.remember_spelling(spelling)
        shadowed: dict[tuple[str, str], str] = {}  # (db, name) of a table named like a CTE: its alias
        for table, index in registered:
            alias = table.args.get("alias")
            if alias is None or not alias.name:
                # Without the name's position: columns qualified by the alias would span to it.
                name = table.this
                quoted = name.quoted if isinstance(name, exp.Identifier) else None
                own = table.name
                if registry.normalize(own, _quoted(name)) in ctes:  # `db.c` beside a CTE `c`: its own alias
                    own = f"{own}_{index}"
                    shadowed[(table.text("db").lower(), table.name.lower())] = own
                table.set("alias", exp.TableAlias(this=exp.to_identifier(own, quoted=quoted)))
            table.set("this", exp.to_identifier(placeholder(index), quoted=True))
            table.set("db", None)
            table.set("catalog", None)
        if shadowed:
            _requalify(columns, shadowed)
        return list(referenced), nested, registered

    def _target_columns(
        self, flow: Flow, tracer: ColumnTracer, target: int, ctx: StatementContext
    ) -> list[tuple[str, str, Span | None]]:
        registry = self._registry
        selects = outputs(tracer.root)
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
        leaves: Mapping[LeafKey, exp.Expr | None], ctx: StatementContext, process: Process, used: dict[int, str],
        tags: Mapping[LeafKey, str] | None = None, dependency: str | None = None,
    ) -> None:  # fmt: skip
        """One relationship into ``column``; ``tags`` give each source its ``clauseType`` (``fdr``) or
        value kind (``fdd``)."""
        if not leaves:
            return
        registry, refs = self._registry, self._refs
        sources = []
        for leaf, node in leaves.items():
            tag = (tags.get(leaf) or None) if tags is not None else None
            ref_key = (leaf, id(node), tag)
            ref = refs.get(ref_key)
            if ref is None:
                index, name = leaf
                found = ctx.span(node)
                display = ROWS_COLUMN if name == _ROWS_KEY else None
                source_column = registry.column(index, name, found, display)
                obj = registry.objects[index]
                clause_type, value_kind = (tag, None) if kind == "fdr" else (None, tag)
                ref = refs[ref_key] = ColumnRef(
                    source_column.id,
                    source_column.name,
                    obj.id,
                    obj.sql_name,
                    (found,) if found else (),
                    clause_type,
                    value_kind,
                )
            sources.append(ref)
            index = leaf[0]
            if used.get(index) != "fdd":
                used[index] = kind
        target_obj = registry.objects[target]
        target_ref = ColumnRef(column.id, column.name, target_obj.id, target_obj.sql_name, (span,) if span else ())
        relationship = Relationship(
            registry.new_id(), kind, flow.effect, target_ref, tuple(sources), process.id, dependency
        )
        self._result.relationships.append(relationship)

    def _hints(self, tracer: ColumnTracer, ctx: StatementContext) -> None:
        """``LinkOrphanColumn`` hints: columns placed in no table, and columns linked to the first of several
        candidate tables, as SQLFlow links them (``docs/engine.md#ambiguous-unqualified-columns``)."""
        for names, message in (
            (tracer.orphans, "orphan column {}: it could not be linked to any table of the statement"),
            (tracer.ambiguous, "column {} could belong to several tables (no metadata); linked to the first, {}"),
        ):
            for name, node in list(names.items())[:_MAX_HINTS]:
                linked = tracer.linked_to.get(name, "")
                table = self._registry.objects[linked].sql_name if isinstance(linked, int) else linked
                self._error(ctx, "LinkOrphanColumn", message.format(name, table), ctx.span(node))
            if len(names) > _MAX_HINTS:
                self._error(ctx, "LinkOrphanColumn", f"... and {len(names) - _MAX_HINTS} more such columns")

    def _error(self, ctx: StatementContext, error_type: str, message: str, span: Span | None = None) -> None:
        error = LineageError(f"{message} [{ctx.snippet(60)}]", error_type, ctx.file_name, span or ctx.statement_span)
        self._result.errors.append(error)


def _mark_recursive_ctes(withs: list[exp.With]) -> None:
    """T-SQL, Oracle and others write recursive CTEs without ``RECURSIVE``; sqlglot's scopes need the flag
    (``docs/engine.md#trap-11-recursive-ctes-without-recursive``)."""
    for with_ in withs:
        if with_.recursive:
            continue
        for cte in with_.expressions:
            if any(t.name == cte.alias and not t.db for t in cte.this.find_all(exp.Table)):
                with_.set("recursive", True)
                break


def _dependency(kinds: Mapping[LeafKey, int], projection: exp.Expr | None) -> str:
    """SQLFlow's ``dependency`` of an ``fdd`` relationship: ``simple`` when every source is passed on as it
    is; ``function`` when the output is a function call (``CASE`` and aggregates included); ``expression``
    for any other expression. An output that only names a column of a subquery or CTE takes the
    dependency of what it names: ``function`` for an aggregate, else ``expression``."""
    strongest = max(kinds.values(), default=IDENTITY)
    if strongest == IDENTITY:
        return "simple"
    top = projection.this if isinstance(projection, exp.Alias) else projection
    if isinstance(top, (exp.Func, exp.Window)):
        return "function"
    if top is None or isinstance(top, (exp.Column, exp.Subquery, exp.Star)):
        return "function" if strongest == AGGREGATION else "expression"
    return "expression"


def _requalify(columns: list[exp.Column], shadowed: dict[tuple[str, str], str]) -> None:
    """``db.c.x`` names the table ``db.c``, not the CTE ``c``: qualify it with the table's own alias."""
    for column in columns:
        alias = shadowed.get((column.text("db").lower(), column.table.lower())) if column.args.get("db") else None
        if alias is not None:
            column.set("table", exp.to_identifier(alias))
            column.set("db", None)
            column.set("catalog", None)


def _is_self(flow: Flow, index: int, target: int) -> bool:
    return flow.target_is_read and index == target


def _quoted(node: exp.Expr | None) -> bool:
    return bool(isinstance(node, exp.Identifier) and node.quoted)
