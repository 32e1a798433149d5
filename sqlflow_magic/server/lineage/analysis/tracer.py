"""Column-level lineage over sqlglot scopes: which table columns feed an output, and which decide its rows.

A linear walk of the scope tree with memoisation per (scope, output), instead of
``sqlglot.lineage.lineage``: it keeps value flows (``fdd``) apart from row-deciding ones (``fdr``:
WHERE, JOIN conditions, GROUP BY, HAVING, QUALIFY, window PARTITION BY / ORDER BY) and never runs
the O(n^2) select trimming (``docs/engine.md#trap-5-sqlglots-lineage-is-quadratic``).

Each value leaf carries how the output is made from it and each row leaf the clause it was found in
(:mod:`~sqlflow_magic.server.lineage.analysis.leaves`, ``docs/engine.md#clause-types-and-value-kinds``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, find_all_in_scope, walk_in_scope

from sqlflow_magic.server.lineage.analysis.leaves import (
    AGGREGATION,
    CLAUSES,
    EXCEPT_CLAUSE,
    IDENTITY,
    JOIN_CLAUSE,
    ORDER_CLAUSE,
    TRANSFORMATION,
    WINDOW_CLAUSE,
    Trace,
)
from sqlflow_magic.server.lineage.analysis.registry import placeholder_index
from sqlflow_magic.server.lineage.analysis.walking import outputs

#: The leaf name for "the rows of a table" (``COUNT(*)``, row-only sources, DELETE targets).
ROWS_KEY = "\x00rows"


_EMPTY = Trace()


class ColumnTracer:
    """Traces the outputs of a qualified query (``root``) back to table columns.

    Tables must have been renamed to registry placeholders (see :func:`placeholder`);
    ``known_columns`` gives an object's complete column list, when known, to place
    unqualified columns.
    """

    def __init__(self, root: Scope, known_columns: Callable[[int], list[str] | None]) -> None:
        self.root = root
        self._known_columns = known_columns
        self._traces: dict[tuple[int, int | str], Trace] = {}
        self._rows: dict[int, Trace] = {}
        self._active: set[tuple[int, int | str]] = set()
        self._names: dict[int, dict[str, exp.Expr]] = {}
        self._subqueries: dict[int, dict[int, Scope]] = {}
        self._table_columns: dict[int, list[str] | None] = {}
        #: Columns that could not be placed in any table, and columns linked to the first candidate table.
        self.orphans: dict[str, exp.Expr] = {}
        self.ambiguous: dict[str, exp.Expr] = {}
        #: The first candidate each ambiguous column was linked to: an object index, or a subquery's alias.
        self.linked_to: dict[str, int | str] = {}

    def output_names(self) -> list[str]:
        """The names of the root query's outputs, by position."""
        return [select.alias_or_name for select in outputs(self.root)]

    def output(self, index: int) -> Trace:
        """The lineage of the root query's output at ``index``."""
        return self._trace(self.root, index)

    def rows(self) -> Trace:
        """The columns that decide which rows the root query returns (all as ``fdr``)."""
        return self._row_trace(self.root)

    # -- outputs -----------------------------------------------------------------------------
    def _trace(self, scope: Scope, key: int | str) -> Trace:
        memo_key = (id(scope), key)
        cached = self._traces.get(memo_key)
        if cached is not None:
            return cached
        if memo_key in self._active:  # a recursive CTE referring to itself
            return _EMPTY
        self._active.add(memo_key)
        try:
            result = self._trace_uncached(scope, key)
        finally:
            self._active.discard(memo_key)
        self._traces[memo_key] = result
        return result

    def _trace_uncached(self, scope: Scope, key: int | str) -> Trace:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            index = key if isinstance(key, int) else _position(expression.selects, key)
            trace = Trace()
            if index is None:
                return trace
            if isinstance(expression, exp.Except) and len(scope.set_operation_scopes) == 2:
                # Only the left side supplies values; the right side removes rows.
                left, right = scope.set_operation_scopes
                trace.merge(self._trace(left, index), rows=False)
                trace.merge(self._trace(right, index), rows=True, clause=EXCEPT_CLAUSE)
                return trace
            for branch in _branches(scope):
                trace.merge(self._trace(branch, index), rows=False)
            return trace
        if isinstance(expression, exp.UDTF):
            # LATERAL / APPLY of a subquery: its outputs; of a function (EXPLODE, UNNEST): its arguments.
            trace = Trace()
            for subquery in scope.subquery_scopes:
                trace.merge(self._trace(subquery, key), rows=False)
            for column in find_all_in_scope(expression, exp.Column):
                self._resolve(scope, column, trace, rows=False, in_projection=True, kind=TRANSFORMATION)
            return trace
        if not isinstance(expression, exp.Select):
            return _EMPTY
        projection = self._projection(scope, key)
        if projection is not None:
            return self._trace_expression(scope, projection)
        if key == "*" or (isinstance(key, str) and expression.is_star):
            trace = Trace()
            for _, source in scope.selected_sources.values():
                self._from_source(source, key, exp.Star(), trace, rows=False)
            return trace
        return _EMPTY

    def _trace_expression(self, scope: Scope, node: exp.Expr) -> Trace:
        trace = Trace()
        if isinstance(node, exp.Star):
            for _, source in scope.selected_sources.values():
                self._from_source(source, "*", node, trace, rows=False)
            return trace
        window_columns: set[int] = set()
        aggregated: set[int] = set()
        subqueries = self._subquery_scopes(scope)
        top = node.this if isinstance(node, exp.Alias) else node
        for inner in walk_in_scope(node):  # parents come first: a window or an aggregate before its columns
            if isinstance(inner, exp.Column):
                rows = id(inner) in window_columns
                kind = _value_kind(inner, top, aggregated)
                self._resolve(scope, inner, trace, rows=rows, in_projection=True, kind=kind, clause=WINDOW_CLAUSE)
                continue
            if isinstance(inner, exp.AggFunc):
                aggregated.update(id(part) for part in inner.find_all(exp.Column, exp.Query))
            if isinstance(inner, exp.Window):
                for part in (*(inner.args.get("partition_by") or []), inner.args.get("order")):
                    if part is not None:
                        window_columns.update(id(column) for column in part.find_all(exp.Column))
            elif id(inner) in subqueries:
                self._whole(subqueries[id(inner)], trace, rows=False, kind=_value_kind(inner, top, aggregated))
            elif isinstance(inner, exp.Count) and inner.find(exp.Column) is None:
                trace.merge(self._row_count(scope, inner), rows=False, kind=AGGREGATION)
        return trace

    def _row_count(self, scope: Scope, node: exp.Expr) -> Trace:
        """``COUNT(*)``: the value comes from the number of rows of the tables under ``scope``."""
        trace = Trace()
        pending = [scope]
        seen: set[int] = set()
        while pending:
            current = pending.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            if isinstance(current.expression, exp.SetOperation):
                pending.extend(current.set_operation_scopes)
                continue
            for _, source in current.selected_sources.values():
                if isinstance(source, Scope):
                    pending.append(source)
                elif (index := placeholder_index(source.name)) is not None:
                    trace.add((index, ROWS_KEY), node, rows=False)
        return trace

    def _whole(self, scope: Scope, trace: Trace, rows: bool, kind: int = IDENTITY, clause: str = "") -> None:
        """Everything a subquery reads: its outputs (as values of ``kind``, or rows of ``clause``) and
        the columns deciding its rows."""
        for index in range(len(outputs(scope))):
            trace.merge(self._trace(scope, index), rows=rows, kind=kind, clause=clause)
        trace.merge(self._row_trace(scope), rows=True)

    # -- rows --------------------------------------------------------------------------------
    def _row_trace(self, scope: Scope) -> Trace:
        cached = self._rows.get(id(scope))
        if cached is not None:
            return cached
        self._rows[id(scope)] = _EMPTY  # guards recursive CTEs
        trace = Trace()
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            for branch in _branches(scope):
                trace.merge(self._row_trace(branch), rows=True)
        elif isinstance(expression, exp.UDTF):
            for subquery in scope.subquery_scopes:
                trace.merge(self._row_trace(subquery), rows=True)
        elif isinstance(expression, exp.Select):
            subqueries = self._subquery_scopes(scope)
            for clause_type, clause in _row_clauses(expression):
                for inner in walk_in_scope(clause):
                    if isinstance(inner, exp.Column):
                        self._resolve(scope, inner, trace, rows=True, in_projection=False, clause=clause_type)
                    elif id(inner) in subqueries:
                        self._whole(subqueries[id(inner)], trace, rows=True, clause=clause_type)
            for _, source in scope.selected_sources.values():
                if isinstance(source, Scope):
                    trace.merge(self._row_trace(source), rows=True)
        self._rows[id(scope)] = trace
        return trace

    # -- resolution --------------------------------------------------------------------------
    def _resolve(
        self, scope: Scope, column: exp.Column, trace: Trace, rows: bool, in_projection: bool,
        kind: int = IDENTITY, clause: str = "",
    ) -> None:  # fmt: skip
        name = "*" if column.is_star else column.name
        table = column.table
        if table:
            source = _lookup(scope, table)
            if source is None:
                self.orphans.setdefault(column.sql(), column)
                return
            self._from_source(source, name, column, trace, rows, kind, clause)
            return
        if not in_projection and isinstance(scope.expression, exp.Select):
            projection = self._projection(scope, name)
            if projection is not None and not _is_plain_column(projection, name):
                trace.merge(self._trace_expression(scope, projection), rows=rows, kind=kind, clause=clause)
                return
        source = self._guess_source(scope, name, column)
        if source is None:
            self.orphans.setdefault(name, column)
            return
        self._from_source(source, name, column, trace, rows, kind, clause)

    def _from_source(
        self, source: exp.Table | Scope, name: str, node: exp.Expr, trace: Trace, rows: bool,
        kind: int = IDENTITY, clause: str = "",
    ) -> None:  # fmt: skip
        if isinstance(source, exp.Table):
            index = placeholder_index(source.name)
            if index is None:
                self.orphans.setdefault(name, node)
            else:
                trace.add((index, name), node, rows, kind, clause)
        elif name == "*" and isinstance(source.expression, exp.Query) and not source.expression.is_star:
            for index in range(len(source.expression.selects)):
                trace.merge(self._trace(source, index), rows=rows, kind=kind, clause=clause)
        else:
            trace.merge(self._trace(source, name), rows=rows, kind=kind, clause=clause)

    def _guess_source(self, scope: Scope | None, name: str, column: exp.Expr) -> exp.Table | Scope | None:
        """Place an unqualified column: the only source that may have it, else the first (an orphan)."""
        while scope is not None:
            candidates = [
                (alias, source) for alias, (_, source) in scope.selected_sources.items() if self._may_have(source, name)
            ]
            if len(candidates) == 1:
                return candidates[0][1]
            if candidates:
                alias, first = candidates[0]
                if name not in self.ambiguous:
                    self.ambiguous[name] = column
                    index = placeholder_index(first.name) if isinstance(first, exp.Table) else None
                    self.linked_to[name] = alias if index is None else index
                return first
            scope = scope.parent  # a correlated reference to an outer query
        return None

    def _may_have(self, source: exp.Table | Scope, name: str) -> bool:
        if isinstance(source, exp.Table):
            cache = self._table_columns
            if id(source) in cache:
                known = cache[id(source)]
            else:
                index = placeholder_index(source.name)
                known = cache[id(source)] = self._known_columns(index) if index is not None else None
            return known is None or name in known
        expression = source.expression
        if isinstance(expression, exp.UDTF):
            return name in expression.alias_column_names or not expression.alias_column_names
        if isinstance(expression, exp.Query):
            names = expression.named_selects
            return name in names or "*" in names or expression.is_star
        return False

    def _projection(self, scope: Scope, key: int | str) -> exp.Expr | None:
        selects = outputs(scope)
        if isinstance(key, int):
            return selects[key] if key < len(selects) else None
        names = self._names.get(id(scope))
        if names is None:
            names = {}
            for select in selects:
                names.setdefault(select.alias_or_name, select)
            self._names[id(scope)] = names
        return names.get(key)

    def _subquery_scopes(self, scope: Scope) -> dict[int, Scope]:
        mapping = self._subqueries.get(id(scope))
        if mapping is None:
            mapping = {id(child.expression): child for child in scope.subquery_scopes}
            self._subqueries[id(scope)] = mapping
        return mapping


def _branches(scope: Scope) -> Iterator[Scope]:
    """The branches of a chain of one kind of set operation (``a UNION b UNION c``), without recursion."""
    kind = type(scope.expression)
    stack = [scope]
    while stack:
        current = stack.pop()
        if type(current.expression) is kind and current.set_operation_scopes:
            stack.extend(reversed(current.set_operation_scopes))
        elif current is not scope:
            yield current


def _row_clauses(select: exp.Select) -> Iterator[tuple[str, exp.Expr]]:
    """The row-deciding clauses of a SELECT with their ``clauseType``: WHERE, CONNECT BY, GROUP BY, HAVING,
    QUALIFY, then the JOIN ON conditions, then ORDER BY when a LIMIT, TOP or FETCH keeps only the first rows
    (a column in several keeps the first)."""
    for name, clause_type in CLAUSES.items():
        clause = select.args.get(name)
        if clause is not None:
            yield clause_type, clause
    from_ = select.args.get("from_")
    joins = list(select.args.get("joins") or [])
    if from_ is not None:
        joins.extend(from_.this.args.get("joins") or [])
    for join in joins:
        if join.args.get("on") is not None:
            yield JOIN_CLAUSE, join.args["on"]
    if select.args.get("limit") is not None and select.args.get("order") is not None:
        yield ORDER_CLAUSE, select.args["order"]  # with LIMIT/TOP/FETCH the order picks the rows written


def _lookup(scope: Scope | None, table: str) -> exp.Table | Scope | None:
    while scope is not None:
        source = scope.sources.get(table)
        if source is not None:
            return source
        scope = scope.parent
    return None


def _position(selects: list[exp.Expr], name: str) -> int | None:
    for index, select in enumerate(selects):
        if select.alias_or_name == name:
            return index
    return None


def _is_plain_column(projection: exp.Expr, name: str) -> bool:
    inner = projection.this if isinstance(projection, exp.Alias) else projection
    return isinstance(inner, exp.Column) and inner.name == name


def _value_kind(node: exp.Expr, top: exp.Expr, aggregated: set[int]) -> int:
    """How an output whose expression is ``top`` is made from ``node``, one of its column or subquery nodes."""
    if node is top or (isinstance(top, exp.Subquery) and node is top.this):
        return IDENTITY
    return AGGREGATION if id(node) in aggregated else TRANSFORMATION
