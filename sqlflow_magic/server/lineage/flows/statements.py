"""Turn each kind of statement into data flows: a target (table, view or result set) fed by a query.

``sqlglot.lineage`` and scopes only understand queries (``docs/engine.md#trap-4-only-queries-have-scopes``),
so INSERT, CTAS, CREATE VIEW, SELECT INTO, UPDATE, MERGE, DELETE and multi-table inserts are rewritten into a SELECT
whose outputs map, by position, onto the target's columns. A statement's own query becomes the flow's
query as it is (analysis rewrites it in place), and so do the pieces a rewritten query is built of;
only what several flows share or what stays a flow's target (MERGE ON conditions, FROM tables) is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlglot import exp

from sqlflow_magic.server.lineage.flows.star import select_all_from
from sqlflow_magic.server.lineage.flows.values import values_query

#: Any expression: :func:`_with_moved` returns the kind of query it was given.
_E = TypeVar("_E", bound=exp.Expr)


@dataclass
class TargetColumn:
    """A target column as written (``node`` carries its position)."""

    name: str
    node: exp.Expr | None = None


@dataclass
class Flow:
    """One data flow of a statement: ``query``'s output ``i`` feeds target column ``i``."""

    effect: str
    label: str
    target: exp.Table | None
    target_type: str = "table"
    query: exp.Query | None = None
    #: Explicit target columns (INSERT column list, view column list, SET targets, DDL columns).
    columns: list[TargetColumn] | None = None
    #: DELETE-like: no values flow, only the rows of the target are decided (fdr).
    rows_only: bool = False
    #: CREATE TABLE / VIEW / CTAS / SELECT INTO: the target's columns become known to later statements.
    defines_schema: bool = False
    #: UPDATE / MERGE / DELETE read their own target; that is not a table-level source.
    target_is_read: bool = False


def nested_statements(statement: exp.Expr) -> list[exp.Expr] | None:
    """The statements inside a block, an IF or a procedure body; ``None`` for a plain statement."""
    if isinstance(statement, exp.Block):
        return list(statement.expressions)
    if isinstance(statement, exp.IfBlock):
        return [branch for branch in (statement.args.get("true"), statement.args.get("false")) if branch]
    if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Block):
        return list(statement.expression.expressions)
    return None


def flows_for(statement: exp.Expr, *, into_is_variable: bool = False) -> list[Flow]:
    """The data flows of one statement (empty for statements that move no data, such as DROP)."""
    if isinstance(statement, exp.Insert):
        return _insert_flows(statement)
    if isinstance(statement, exp.Update):
        return _update_flows(statement)
    if isinstance(statement, exp.Merge):
        return _merge_flows(statement)
    if isinstance(statement, exp.Delete):
        return _delete_flows(statement)
    if isinstance(statement, exp.Create):
        return _create_flows(statement)
    if isinstance(statement, exp.MultitableInserts):
        return _multitable_flows(statement)
    if isinstance(statement, exp.Alter):
        return _rename_flows(statement)
    if isinstance(statement, exp.Query):
        return _query_flows(statement, into_is_variable)
    return []


def _query_flows(query: exp.Query, into_is_variable: bool) -> list[Flow]:
    # T-SQL writes ``SELECT ... INTO t FROM a UNION ALL SELECT ... FROM b``: the INTO sits on the first branch.
    holder: exp.Expr = query
    while isinstance(holder, exp.SetOperation) and isinstance(holder.this, exp.Query):
        holder = holder.this
    into = holder.args.get("into")
    if into is not None:
        holder.set("into", None)
        target = into.this
        is_table = isinstance(target, exp.Table) and not into_is_variable and not target.name.startswith(("@", ":"))
        if is_table:
            return [Flow("insert", "Select Into", target, query=query, defines_schema=True)]
    return [Flow("select", "Select", None, "select_list", query=_unwrap(query))]


def _insert_flows(insert: exp.Insert, query: exp.Expr | None = None) -> list[Flow]:
    target, columns = _target_and_columns(insert.this)
    if target is None:
        return []
    query = insert.expression if query is None else query
    if isinstance(query, exp.Values):
        query = values_query(query)
    if not isinstance(query, exp.Query):  # VALUES: constants only, but the target is still written
        return [Flow("insert", "Insert", target, columns=columns)]
    query = _with_moved(_unwrap(query), insert.args.get("with_"))
    return [Flow("insert", "Insert", target, query=query, columns=columns)]


def _multitable_flows(statement: exp.MultitableInserts) -> list[Flow]:
    source = statement.args.get("source")
    flows: list[Flow] = []
    for item in statement.expressions:
        condition = None
        if isinstance(item, exp.ConditionalInsert):
            condition, item = item.args.get("expression"), item.this
        if not isinstance(item, exp.Insert) or source is None:
            continue
        # Each branch's values and condition move into its query; the shared source is copied.
        body = item.expression
        if isinstance(body, exp.Values) and body.expressions:
            derived = exp.Subquery(this=source.copy(), alias=exp.TableAlias(this=exp.to_identifier("src_")))
            query = exp.Select(expressions=list(body.expressions[0].expressions))
            query.set("from_", exp.From(this=derived))
            if condition is not None:
                query.set("where", exp.Where(this=condition))
            flows.extend(_insert_flows(item, query))
        elif isinstance(body, exp.Select) and not body.args.get("from_"):
            relation = source.copy() if isinstance(source, exp.Table) else exp.Subquery(this=source.copy())
            body.set("from_", exp.From(this=relation))
            flows.extend(_insert_flows(item, body))
        else:
            flows.extend(_insert_flows(item))
    return flows


def _create_flows(create: exp.Create) -> list[Flow]:
    kind = str(create.args.get("kind") or "").upper()
    target, columns = _target_and_columns(create.this)
    if target is None or kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
        return []
    is_view = "VIEW" in kind
    query = create.expression
    if isinstance(query, exp.Query):
        effect, label = ("create_view", "Create View") if is_view else ("create_table", "Create Table")
        query = _with_moved(_unwrap(query), create.args.get("with_"))
        view_type = "view" if is_view else "table"
        return [Flow(effect, label, target, view_type, query=query, columns=columns, defines_schema=True)]
    like = create.find(exp.LikeProperty)
    if like is not None and isinstance(like.this, exp.Table):
        query = select_all_from(like.this.copy())
        return [Flow("like_table", "Like Table", target, query=query, defines_schema=True)]
    if columns:
        return [Flow("create_table", "Create Table", target, columns=columns, defines_schema=True)]
    return []


def _rename_flows(alter: exp.Alter) -> list[Flow]:
    old = alter.this
    flows: list[Flow] = []
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table) and isinstance(old, exp.Table):
            new = action.this.copy()
            for part in ("db", "catalog"):
                if new.args.get(part) is None and old.args.get(part) is not None:
                    new.set(part, old.args[part].copy())
            query = select_all_from(old.copy())
            flows.append(Flow("rename_table", "Rename Table", new, query=query, defines_schema=True))
    return flows


def _update_flows(update: exp.Update) -> list[Flow]:
    target_ref = update.this
    if not isinstance(target_ref, exp.Table):
        return []
    relations = _relations(update.args.get("from_"))
    physical = _find_relation(target_ref, relations)
    select = exp.Select()
    if physical is not None:
        _set_from(select, relations)
    else:
        physical = target_ref
        _set_from(select, [target_ref, *_flatten_joins(target_ref), *relations])
    columns, projections = _assignments(update.expressions)
    select.set("expressions", projections)
    _copy_clause(select, update, "where")
    select = _with_moved(select, update.args.get("with_"))
    return [Flow("update", "Update", physical, query=select, columns=columns, target_is_read=True)]


def _merge_flows(merge: exp.Merge) -> list[Flow]:
    target, using = merge.this, merge.args.get("using")
    whens = merge.args.get("whens")
    if not isinstance(target, exp.Table) or using is None or whens is None:
        return []
    flows: list[Flow] = []
    on = merge.args.get("on")
    for number, when in enumerate(whens.expressions, 1):
        action = when.args.get("then")
        # Each flow reads its own copy of the target, source and condition; the last takes the originals
        # (the target is registered as each flow's target before that flow renames its tables).
        last = number == len(whens.expressions)
        source = using if last else using.copy()
        condition = on if last or on is None else on.copy()
        read_target = target if last else target.copy()
        # Unqualified names resolve to the first source: the target for UPDATE SET, the source for INSERT.
        first, second = (source, read_target) if isinstance(action, exp.Insert) else (read_target, source)
        select = exp.Select()
        select.set("from_", exp.From(this=first))
        join = exp.Join(this=second, on=condition)
        select.set("joins", [join])
        if when.args.get("condition") is not None:
            select.set("where", exp.Where(this=when.args["condition"]))
        if isinstance(action, exp.Update):
            columns, projections = _assignments(action.expressions)
            select.set("expressions", projections)
            flows.append(Flow("merge_update", "Merge", target, query=select, columns=columns, target_is_read=True))
        elif isinstance(action, exp.Insert):
            names = action.this.expressions if isinstance(action.this, (exp.Tuple, exp.Schema)) else []
            values = action.expression.expressions if isinstance(action.expression, exp.Tuple) else []
            inserted = [TargetColumn(n.name, n) for n in names] or None
            select.set("expressions", list(values))
            flows.append(Flow("merge_insert", "Merge", target, query=select, columns=inserted, target_is_read=True))
        else:  # WHEN MATCHED THEN DELETE
            select.set("expressions", [exp.Star()])
            flows.append(Flow("merge", "Merge", target, query=select, rows_only=True, target_is_read=True))
    return flows


def _delete_flows(delete: exp.Delete) -> list[Flow]:
    target_ref, tables = delete.this, delete.args.get("tables") or []
    relations = _relations(delete.args.get("from_"))
    if tables and isinstance(target_ref, exp.Table):  # MySQL: DELETE t1 FROM t1 JOIN t2 ...
        relations, target_ref = [target_ref, *_flatten_joins(target_ref)], tables[0]
    if not isinstance(target_ref, exp.Table):
        return []
    using = delete.args.get("using")
    extra = [u for u in (using if isinstance(using, list) else [using]) if isinstance(u, exp.Expr)]
    physical = _find_relation(target_ref, relations)
    select = exp.Select(expressions=[exp.Star()])
    if physical is not None:
        _set_from(select, [*relations, *extra])
    else:
        physical = target_ref
        _set_from(select, [target_ref, *_flatten_joins(target_ref), *relations, *extra])
    _copy_clause(select, delete, "where")
    select = _with_moved(select, delete.args.get("with_"))
    return [Flow("delete", "Delete", physical, query=select, rows_only=True, target_is_read=True)]


# -- helpers ---------------------------------------------------------------------------------
def _target_and_columns(node: exp.Expr | None) -> tuple[exp.Table | None, list[TargetColumn] | None]:
    if isinstance(node, exp.Schema):
        columns = []
        for item in node.expressions:
            if isinstance(item, exp.ColumnDef):
                columns.append(TargetColumn(item.name, item.this))
            elif isinstance(item, (exp.Identifier, exp.Column)):
                columns.append(TargetColumn(item.name, item))
        table = node.this if isinstance(node.this, exp.Table) else None
        return table, columns or None
    return (node, None) if isinstance(node, exp.Table) else (None, None)


def _assignments(assignments: list[exp.Expr]) -> tuple[list[TargetColumn], list[exp.Expr]]:
    columns: list[TargetColumn] = []
    projections: list[exp.Expr] = []
    for assignment in assignments:
        if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, (exp.Column, exp.Identifier)):
            continue
        target = assignment.this
        identifier = target.this if isinstance(target, exp.Column) else target
        columns.append(TargetColumn(target.name, identifier))
        projections.append(exp.Alias(this=assignment.expression, alias=exp.to_identifier(f"_set{len(columns)}")))
    return columns, projections


def _unwrap(query: exp.Query) -> exp.Query:
    while isinstance(query, exp.Subquery) and not query.alias and isinstance(query.this, exp.Query):
        query = query.this
    return query


def _with_moved(query: _E, with_: exp.Expr | None) -> _E:
    """Move a statement-level WITH onto the query (``WITH c AS (...) INSERT INTO t SELECT ... FROM c``).

    Nothing is copied: the statement is only read through its flows, and each piece serves one flow.
    """
    if with_ is None:
        return query
    existing = query.args.get("with_")
    if existing is not None:
        existing.set("expressions", [*with_.expressions, *existing.expressions])
    else:
        query.set("with_", with_)
    return query


def _relations(from_: exp.Expr | None) -> list[exp.Expr]:
    if not isinstance(from_, exp.From):
        return []
    return [from_.this, *_flatten_joins(from_.this)]


def _flatten_joins(relation: exp.Expr) -> list[exp.Expr]:
    return [join for join in relation.args.get("joins") or []]


def _find_relation(target: exp.Table, relations: list[exp.Expr]) -> exp.Table | None:
    """The table in FROM that an UPDATE/DELETE target names (T-SQL ``UPDATE o ... FROM orders o``)."""
    if target.args.get("db") is not None:
        return None
    for relation in relations:
        node = relation.this if isinstance(relation, exp.Join) else relation
        if isinstance(node, exp.Table) and node.alias_or_name == target.name:
            return node
    return None


def _set_from(select: exp.Select, relations: list[exp.Expr]) -> None:
    """FROM the first relation; the others (joins, or extra tables) become joins of the select.

    The relations move into the select (their joins are among ``relations`` already): the statement
    is only read through its one flow. The flow's target may be one of them: it is registered before
    the flow renames its tables.
    """
    first, *rest = relations
    first.set("joins", None)
    select.set("from_", exp.From(this=first))
    joins = []
    for relation in rest:
        if not isinstance(relation, exp.Join):
            relation.set("joins", None)
            relation = exp.Join(this=relation)
        joins.append(relation)
    select.set("joins", joins or None)


def _copy_clause(select: exp.Select, statement: exp.Expr, name: str) -> None:
    clause = statement.args.get(name)
    if clause is not None:
        select.set(name, clause)
