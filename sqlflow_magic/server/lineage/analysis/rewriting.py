"""Query rewrites around sqlglot's ``qualify``: retries without metadata, variables, table-only kinds."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify_columns import qualify_columns
from sqlglot.optimizer.qualify_tables import qualify_tables
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema

from sqlflow_magic.server.lineage.analysis.registry import placeholder_index
from sqlflow_magic.server.lineage.analysis.shortcut import qualify_without_schema, source_identifier
from sqlflow_magic.server.lineage.deadline import DeadlineExceeded

#: Qualification settings, tried in order: sqlglot raises without metadata in many legal queries
#: (``docs/engine.md#trap-7-qualify-fails-without-metadata``).
_ATTEMPTS: tuple[dict[str, bool], ...] = (
    {"expand_alias_refs": True},
    {"expand_alias_refs": False, "allow_partial_qualification": True},
    {"qualify_columns": False},
)


def qualify_query(
    query: exp.Expr,
    dialect: Dialect,
    schema: dict[str, dict[str, str]],
    known_columns: Callable[[int], list[str] | None],
    normalize: Callable[[str, bool], str],
    nested: bool,
) -> Scope | None:
    """Qualify ``query`` (tables already renamed to placeholders) and return its root scope.

    ``nested``: the query holds a SELECT besides itself (only a subquery can correlate, so only
    then can an unqualified column trouble sqlglot). Identifiers must be normalised already (see
    ``FlowAnalyzer._prepare``); then :func:`qualify_without_schema` settles most queries
    without metadata, and the others go through ``qualify_tables`` and ``qualify_columns``
    (``qualify`` minus the normalisation) with the settings of :data:`_ATTEMPTS` in turn, each on a
    fresh copy except the last. ``None`` when none works.
    """
    if not schema:
        scope = qualify_without_schema(traverse_scope(query), dialect, nested)
        if scope is not None:
            return scope
    # sqlglot annotates the schema as an invariant dict[str, object] where it only reads a nested mapping.
    mapping = MappingSchema(schema, dialect=dialect, normalize=False)  # type: ignore[arg-type]
    for number, options in enumerate(_ATTEMPTS):
        candidate = query.copy() if number < len(_ATTEMPTS) - 1 else query
        try:
            if nested and options.get("qualify_columns", True):
                bind_single_source_columns(candidate, known_columns, normalize)
            qualified = qualify_tables(candidate, dialect=dialect)
            if options.get("qualify_columns", True):
                qualified = qualify_columns(
                    qualified, mapping, expand_alias_refs=options["expand_alias_refs"],
                    allow_partial_qualification=options.get("allow_partial_qualification", False),
                )  # fmt: skip
            scope = build_scope(qualified)
        except DeadlineExceeded:
            raise
        except Exception:
            continue
        if scope is not None and isinstance(scope.expression, exp.Query):
            return scope
    return None


_ROW_CLAUSE_TYPES = (exp.Where, exp.Having, exp.Qualify, exp.Group)


def table_kinds(tables: list[tuple[exp.Table, int]], query: exp.Expr, rows_only: bool) -> dict[int, str]:
    """Table level without column analysis: a table read only inside a filter (WHERE, HAVING, QUALIFY,
    GROUP BY, JOIN ON, the right side of EXCEPT) is ``fdr``, any other table ``fdd``. An approximation:
    a CTE used only in a filter still counts as ``fdd``. ``tables`` are the query's tables with their
    objects, as the analyzer registered them (no second walk of the tree)."""
    kinds: dict[int, str] = {}
    for table, index in tables:
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


def replace_variables(columns: list[exp.Column], variables: frozenset[str]) -> None:
    """``WHERE day = p_day`` in a procedure: ``p_day`` (and ``rec.field`` of a loop record) is no column."""
    for column in columns:
        qualifier = column.table.lower()
        if (qualifier and qualifier in variables) or (not qualifier and column.name.lower() in variables):
            column.replace(exp.Var(this=column.sql()))


def bind_single_source_columns(
    query: exp.Expr, known_columns: Callable[[int], list[str] | None], normalize: Callable[[str, bool], str]
) -> None:
    """Qualify unqualified columns of single-source SELECTs, as SQL resolves them (innermost first).

    Without this, sqlglot refuses any unqualified column of a subquery that could be correlated
    when a table's columns are unknown (``docs/engine.md#trap-7-qualify-fails-without-metadata``). A column the
    only table is known to lack is left
    alone: it is a correlated reference.
    """
    for scope in traverse_scope(query):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        try:
            sources = scope.selected_sources
        except OptimizeError:  # two derived tables without an alias (qualify_tables names them later)
            continue
        if len(sources) != 1:
            continue
        alias, (_, source) = next(iter(scope.selected_sources.items()))
        known = None
        if isinstance(source, exp.Table) and (index := placeholder_index(source.name)) is not None:
            known = known_columns(index)
        # ``GROUP BY r`` may name the output ``region AS r``: leave such names to the tracer.
        renamed = {
            normalize(s.alias, False)
            for s in select.selects
            if isinstance(s, exp.Alias) and not (isinstance(s.this, exp.Column) and s.this.name == s.alias)
        }
        in_projection = {id(c) for s in select.selects for c in s.find_all(exp.Column)}
        for column in scope.columns:
            if column.table:
                continue
            name = normalize(column.name, bool(column.this.args.get("quoted")))
            if (name in renamed and id(column) not in in_projection) or (known is not None and name not in known):
                continue
            column.set("table", source_identifier(scope, alias))
