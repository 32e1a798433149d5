"""A shortcut around sqlglot's ``qualify`` for queries whose tables have no known columns.

Without metadata, ``qualify_tables`` + ``qualify_columns`` leave most such queries as they are:
they add output aliases (``qualify_outputs``) and little else, yet they rebuild the scope tree
twice and cost more than parsing. :func:`qualify_without_schema` checks, on the one scope tree
the tracer needs anyway, that every step of ``qualify`` would be a no-op apart from those
aliases, the columns ``bind_single_source_columns`` would bind and positional ``GROUP BY``
references; then it makes just those changes. Anything it is not sure of (stars over derived
tables, alias references, USING, table functions without a complete alias or read by unqualified
columns, BigQuery's UNNEST value tables, correlated references, pseudocolumns, BigQuery qualifiers
shadowed by outputs, ...) returns ``None`` and the caller runs the full qualification. Names are
compared after ``normalize_identifiers``, as ``qualify`` does. Both tests in
``tests/lineage/test_qualify_shortcut.py`` hold it to the full path.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

# _expand_group_by is private to sqlglot (pinned <31); tests/lineage/test_qualify_shortcut.py checks the result
# (docs/engine.md#trap-17-a-private-sqlglot-function).
from sqlglot.optimizer.qualify_columns import _expand_group_by
from sqlglot.optimizer.scope import Scope, find_all_in_scope, walk_in_scope

from sqlflow_magic.server.lineage.analysis.walking import outputs

_STAR_OPTIONS = ("except_", "replace", "rename", "ilike")


def qualify_without_schema(scopes: list[Scope], dialect: Dialect, nested: bool) -> Scope | None:
    """Qualify a normalised query (scopes from ``traverse_scope``) as ``qualify`` would; ``None`` when unsure.

    ``nested``: the query has subqueries, so unqualified columns of single-source SELECTs get
    bound to their source first (as :func:`~.rewriting.bind_single_source_columns` does).
    """
    # BigQuery's ANNOTATE_ALL_SCOPES only adds types, which the tracer never reads.
    if not scopes:
        return None
    bindings: dict[int, tuple[exp.Column, exp.Identifier]] = {}
    unaliased: list[exp.Table] = []
    for scope in scopes:
        if isinstance(scope.expression, exp.SetOperation):
            if not _plain_set_operation(scope):
                return None
            continue
        if isinstance(scope.expression, exp.UDTF):
            if not _plain_udtf(scope, dialect):
                return None
            continue
        if not _plain_select(scope, dialect) or not _columns_settled(scope, dialect, nested, bindings):
            return None
        for table in scope.tables:
            if not _plain_table(scope, table, unaliased):
                return None
    for column, identifier in bindings.values():
        column.set("table", identifier)
    for table in unaliased:  # qualify_tables names them after themselves
        table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
    for scope in scopes:
        scope.clear_column_cache()
        select = scope.expression
        if isinstance(select, exp.Select):
            _alias_outputs(select, dialect)
            group = select.args.get("group")
            if group is not None and any(_is_position(e) for e in group.expressions):
                _expand_group_by(scope, dialect)  # GROUP BY 1: the projection's expression, as qualify writes it
                scope.clear_cache()  # the copies are columns of the scope too
    return scopes[-1]


def _alias_outputs(select: exp.Select, dialect: Dialect) -> None:
    """sqlglot's ``qualify_outputs`` for a SELECT without outer column names (``_plain_select`` checks),
    minus its general-purpose overhead: every output but a star gets an alias, spelled as sqlglot does."""
    selections: list[exp.Expr] = []
    for index, selection in enumerate(select.expressions):
        if isinstance(selection, exp.Subquery):
            if not selection.output_name:
                identifier = exp.to_identifier(f"_col_{index}")
                dialect.normalize_identifier(identifier)
                selection.set("alias", exp.TableAlias(this=identifier))
        elif not isinstance(selection, (exp.Alias, exp.Aliases)) and not selection.is_star:
            unwrapped = selection.unnest()
            if isinstance(unwrapped, exp.Column):
                source = unwrapped.this
            elif isinstance(unwrapped, exp.Dot):
                source = unwrapped.expression
            else:
                source = None
            identifier = exp.to_identifier(selection.output_name or f"_col_{index}")
            if "alias" in selection.arg_types and type(selection) is not exp.Window:
                selection.set("alias", identifier)
            else:
                selection = exp.Alias(this=selection, alias=identifier)
            if not isinstance(source, exp.Identifier):
                dialect.normalize_identifier(identifier)
            elif source.quoted:
                identifier.set("quoted", True)
        selections.append(selection)
    if selections:
        select.set("expressions", selections)


def source_identifier(scope: Scope, name: str) -> exp.Identifier:
    """A new identifier naming the selected source ``name`` of ``scope``, spelled (and quoted) as its alias.

    New rather than a copy: a copy would carry the alias's position, and a column qualified with it
    would then span from itself to the alias.
    """
    node = scope.selected_sources[name][0]
    if isinstance(node, exp.Query) and isinstance(node.parent, exp.Subquery):
        node = node.parent  # a derived table: the alias sits on the parentheses
    alias = node.args.get("alias")
    if isinstance(alias, exp.TableAlias) and isinstance(alias.this, exp.Identifier):
        return exp.Identifier(this=alias.this.this, quoted=alias.this.quoted)
    return exp.to_identifier(name)


def _plain_set_operation(scope: Scope) -> bool:
    """``a UNION b``: ``qualify`` leaves the operation itself alone when it has no clauses or sources of its own."""
    operation = scope.expression
    if scope.columns or scope.tables or scope.derived_tables or scope.udtfs:
        return False
    # sqlglot lists the operation's own branches among its subqueries: only those may be there.
    branches = {id(branch.expression) for branch in scope.set_operation_scopes}
    if any(id(query) not in branches for query in scope.subqueries):
        return False
    if any(operation.args.get(key) is not None for key in ("order", "limit", "offset")):
        return False
    if any(not isinstance(source, Scope) or source.is_udtf for source in scope.sources.values()):
        return False
    return all(not cte.args["alias"].args.get("columns") for cte in scope.ctes)


def _plain_udtf(scope: Scope, dialect: Dialect) -> bool:
    """A table function (``UNNEST``, ``LATERAL VIEW``, ``FLATTEN``) named with its columns, over qualified columns.

    ``qualify`` leaves it as it is: its alias is complete, so ``qualify_tables`` adds no name or
    default columns, and its arguments refer to the enclosing query's sources by name (those
    columns are the enclosing scope's too, checked there).
    """
    udtf = scope.expression
    if not isinstance(udtf, (exp.Unnest, exp.Lateral)) or isinstance(udtf.this, exp.Query):
        return False
    if scope.subquery_scopes or scope.udtf_scopes or scope.derived_table_scopes:
        return False
    alias = udtf.args.get("alias")
    if not isinstance(alias, exp.TableAlias) or not alias.columns:
        return False
    if not alias.name and not (dialect.UNNEST_COLUMN_ONLY and isinstance(udtf, exp.Unnest)):
        return False
    return all(column.table and column.args.get("db") is None for column in scope.columns)


def _plain_select(scope: Scope, dialect: Dialect) -> bool:
    """A SELECT whose clauses ``qualify`` would not rewrite, but for ``GROUP BY 1`` (no USING, pivots...)."""
    select = scope.expression
    if not isinstance(select, exp.Select) or scope.comprehensions or scope.pivots:
        return False
    if scope.table_columns or scope.semi_or_anti_join_tables or scope.outer_columns:
        return False
    distinct = select.args.get("distinct")
    if distinct is not None and distinct.args.get("on") is not None:
        return False
    group = select.args.get("group")
    if group is not None and not all(
        1 <= int(e.this) <= len(select.selects) for e in group.expressions if _is_position(e)
    ):
        return False
    if dialect.PROJECTION_ALIASES_SHADOW_SOURCE_NAMES and _shadowed_qualifiers(select):
        return False
    order = select.args.get("order")
    if order is not None and (
        group is not None or any(_is_position(o.this) or o.find(exp.AggFunc) for o in order.expressions)
    ):
        return False
    for cte in scope.ctes:
        if cte.args["alias"].args.get("columns"):
            return False
    for derived in scope.derived_tables:
        alias = derived.args.get("alias")
        if alias is None or not alias.name or alias.args.get("columns") or derived.args.get("pivots"):
            return False
        if not isinstance(derived.this, (exp.Select, exp.SetOperation)):
            return False
    for query in scope.subqueries:
        if isinstance(query.parent, exp.Subquery) and isinstance(query.parent.parent, exp.Subquery):
            return False
    # Joins sit only in the FROM clause, and never in a join condition: walking the clause but for
    # its conditions finds what ``scope.find_all(exp.Join)`` finds, at a fraction of the cost.
    clauses = [select.args.get("from_"), *(select.args.get("joins") or [])]
    joins = [
        node
        for clause in clauses
        if clause is not None
        for node in walk_in_scope(clause, prune=_is_join_condition)
        if isinstance(node, exp.Join)
    ]
    if joins:
        if any(join.args.get("using") or join.method == "NATURAL" for join in joins):
            return False
        names = {join.alias_or_name for join in joins}
        if all(name in names for name in scope.selected_sources):
            return False
    return _stars_settled(scope)


def _stars_settled(scope: Scope) -> bool:
    """Stars stay as they are: they only read tables of unknown columns."""
    sources = scope.selected_sources
    for column in scope.stars:
        if not isinstance(column, exp.Column) or column.args.get("db") is not None or column.table not in sources:
            return False
    for projection in outputs(scope):
        if isinstance(projection, (exp.Aliases, exp.QueryTransform)):
            return False
        if not projection.is_star:
            continue
        if isinstance(projection, exp.Star):
            star, names = projection, list(sources)
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):  # ``t.*``
            star, names = projection.this, [projection.table]
        else:
            return False
        if any(star.args.get(key) for key in _STAR_OPTIONS):
            return False
        if any(name not in sources or isinstance(sources[name][1], Scope) for name in names):
            return False
    return True


def _columns_settled(
    scope: Scope, dialect: Dialect, nested: bool, bindings: dict[int, tuple[exp.Column, exp.Identifier]]
) -> bool:
    """Every column is qualified by a local source, will be bound to the only source, or stays unqualified.

    A scope's columns include the unqualified columns of its subqueries; scopes come innermost first,
    and a column an inner scope binds is settled there (as binding in place would leave it).
    """
    sources = scope.selected_sources
    aliases = {s.alias.casefold() for s in outputs(scope) if isinstance(s, exp.Alias)}
    source_names = {name.casefold() for name in sources} if dialect.TABLES_REFERENCEABLE_AS_COLUMNS else set()
    only = len(sources) == 1
    for column in scope.columns:
        if id(column) in bindings:
            continue
        if not isinstance(column.this, exp.Identifier) or column.args.get("db") is not None:
            return False
        name, table = column.name, column.table
        if table:
            entry = sources.get(table)
            if entry is None:
                # A correlated reference to the enclosing query stays as it is (checked there too).
                parent = scope.parent
                if not scope.can_be_correlated or parent is None or table not in parent.selected_sources:
                    return False
            elif isinstance(entry[1], Scope) and not _outputs(entry[1], name):
                return False
            continue
        folded = name.casefold()
        if name.upper() in dialect.PSEUDOCOLUMNS or folded in aliases or folded in source_names:
            return False
        if nested and only:
            name_of_source, (_, source) = next(iter(sources.items()))
            if isinstance(source, Scope) and not _outputs(source, name):
                return False
            bindings[id(column)] = (column, source_identifier(scope, name_of_source))
        elif scope.can_be_correlated or any(_may_output(s, folded) for _, s in sources.values()):
            return False  # qualify would raise, or resolve the column against a subquery's outputs
    return True


def _plain_table(scope: Scope, table: exp.Table, unaliased: list[exp.Table]) -> bool:
    if not isinstance(table.this, exp.Identifier) or table.args.get("pivots"):
        return False
    if table.args.get("db") is not None or table.args.get("catalog") is not None:
        return False
    alias = table.args.get("alias")
    if alias is not None and alias.name:
        return not alias.args.get("columns")
    if isinstance(table.parent, (exp.From, exp.Join)):  # a CTE reference, or a dummy table (``DUAL``)
        unaliased.append(table)
        return True
    return False


def _outputs(source: Scope, name: str) -> bool:
    query = source.expression
    if isinstance(query, exp.UDTF):  # only names of its alias: ``qualify`` raises on others
        return name in query.alias_column_names
    return isinstance(query, (exp.Select, exp.SetOperation)) and not query.is_star and name in query.named_selects


def _may_output(source: exp.Table | Scope, folded: str) -> bool:
    if not isinstance(source, Scope):
        return False
    query = source.expression
    return not isinstance(query, exp.Query) or query.is_star or folded in {n.casefold() for n in query.named_selects}


def _shadowed_qualifiers(select: exp.Select) -> bool:
    """BigQuery: a GROUP BY, HAVING or QUALIFY column qualified by an output's name (``qualify`` marks it)."""
    outputs = {s.alias_or_name for s in select.selects}
    clauses = [select.args.get(key) for key in ("group", "having", "qualify")]
    return any(
        column.table in outputs
        for clause in clauses
        if clause is not None
        for column in find_all_in_scope(clause, exp.Column)
    )


def _is_join_condition(node: exp.Expr) -> bool:
    return node.arg_key in ("on", "using", "match_condition")


def _is_position(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_int
