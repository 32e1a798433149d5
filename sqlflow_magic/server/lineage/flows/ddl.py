"""Statements that move a whole table: CLONE, SWAP, EXCHANGE PARTITION, Vertica's partition functions.

Each becomes one ``SELECT * FROM source`` flow into its target, the way ``CREATE TABLE ... LIKE`` and
``ALTER TABLE ... RENAME`` already are (``flows/statements.py``): the table-level edge is ``source -> target``
and, when the job's own DDL gave the source's columns, the star is expanded column by column.
The effect types are SQLFlow's (``docs/engine.md#statement-kinds-and-their-effect-types``):

- ``CREATE TABLE b CLONE a`` (Snowflake, BigQuery; BigQuery's ``COPY`` too): ``create_table``, ``a -> b``;
  ``b`` gets ``a``'s columns.
- ``ALTER TABLE a SWAP WITH b`` (Snowflake): ``swap_table``, ``b -> a``. SQLFlow draws one edge, from the
  table named after ``WITH`` to the altered table, although the data goes both ways.
- ``ALTER TABLE a EXCHANGE PARTITION p WITH TABLE b`` (Oracle, MySQL, Hive): ``swap_table``, ``b -> a``.
- ``ALTER TABLE a SWITCH [PARTITION p] TO b [PARTITION q]`` (T-SQL): ``swap_table``, ``a -> b``: the rows
  move from the altered table to the one named after ``TO``, modelled as EXCHANGE PARTITION is.
- ``RENAME TABLE a TO b, c TO d`` (MySQL, Teradata): ``rename_table``, ``a -> b`` and ``c -> d``, as
  ``ALTER TABLE a RENAME TO b``; ``b`` gets ``a``'s columns.

sqlglot parses these three as generic commands; :func:`command_flows` reads them from the statement's text.
- Vertica ``SELECT swap_partitions_between_tables('staging', min, max, 'target')``: ``swap_table``,
  ``staging -> target``; ``copy_partitions_to_table`` and ``move_partitions_to_table`` (same arguments):
  ``insert``, ``source -> target``. The table names are string arguments.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from sqlflow_magic.server.lineage.flows.star import select_all_from
from sqlflow_magic.server.lineage.flows.statements import Flow

#: Vertica's partition functions: effect and label, by lower-case function name.
_PARTITION_FUNCTIONS = {
    "swap_partitions_between_tables": ("swap_table", "Swap Table"),
    "copy_partitions_to_table": ("insert", "Insert"),
    "move_partitions_to_table": ("insert", "Insert"),
}
_NAME = r"(?:[`\"\[][^`\"\]]+[`\"\]]|[\w$#@]+)"
_QUALIFIED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
#: ``ALTER TABLE a EXCHANGE PARTITION p WITH TABLE b`` (also ``SUBPARTITION``, a partition spec in parentheses).
_EXCHANGE = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?P<target>{_QUALIFIED})\s+EXCHANGE\s+(?:SUB)?PARTITION\b.*?\bWITH\s+TABLE\s+"
    rf"(?P<source>{_QUALIFIED})",
    re.IGNORECASE | re.DOTALL,
)
#: T-SQL ``ALTER TABLE a SWITCH [PARTITION p] TO b [PARTITION q]``.
_SWITCH = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?P<source>{_QUALIFIED})\s+SWITCH\b(?:\s+PARTITION\s+\S+)?\s+TO\s+"
    rf"(?P<target>{_QUALIFIED})",
    re.IGNORECASE | re.DOTALL,
)
#: ``RENAME TABLE a TO b, c TO d``: the keywords, then each pair.
_RENAME = re.compile(r"^\s*RENAME\s+TABLE\s+", re.IGNORECASE)
_RENAME_PAIR = re.compile(rf"(?P<old>{_QUALIFIED})\s+TO\s+(?P<new>{_QUALIFIED})\s*(?:,\s*|;?\s*$)", re.IGNORECASE)


def ddl_flows(statement: exp.Expr) -> list[Flow] | None:
    """The flows of a CLONE, SWAP or Vertica partition function statement; ``None`` for any other statement."""
    if isinstance(statement, exp.Create):
        clone = statement.args.get("clone")
        if isinstance(clone, exp.Clone) and isinstance(clone.this, exp.Table) and isinstance(statement.this, exp.Table):
            return [_copy_flow("create_table", "Create Table", statement.this, clone.this, defines_schema=True)]
        return None
    if isinstance(statement, exp.Alter) and isinstance(statement.this, exp.Table):
        actions = statement.args.get("actions") or []
        swaps = [a.this for a in actions if isinstance(a, exp.SwapTable) and isinstance(a.this, exp.Table)]
        if swaps:
            return [_copy_flow("swap_table", "Swap Table", statement.this, other) for other in swaps]
        return None
    if isinstance(statement, exp.Select):
        return _partition_function_flows(statement)
    return None


def command_flows(statement_text: str, offset: int, dialect: Dialect) -> list[Flow]:
    """The flows of an EXCHANGE PARTITION, a SWITCH or a ``RENAME TABLE`` that sqlglot read as a Command (else none).

    ``offset`` is the position of ``statement_text`` relative to the statement's base, so that the
    table names keep their place in the file.
    """
    match = _EXCHANGE.match(statement_text) or _SWITCH.match(statement_text)
    if match is not None:
        target = _table_at(match.group("target"), offset + match.start("target"), dialect)
        source = _table_at(match.group("source"), offset + match.start("source"), dialect)
        if target is None or source is None:
            return []
        return [_copy_flow("swap_table", "Swap Table", target, source)]
    match = _RENAME.match(statement_text)
    if match is None:
        return []
    flows, position = [], match.end()
    while position < len(statement_text.rstrip()):
        pair = _RENAME_PAIR.match(statement_text, position)
        if pair is None:
            return []
        old = _table_at(pair.group("old"), offset + pair.start("old"), dialect)
        new = _table_at(pair.group("new"), offset + pair.start("new"), dialect)
        if old is None or new is None:
            return []
        flows.append(_copy_flow("rename_table", "Rename Table", new, old, defines_schema=True))
        position = pair.end()
    return flows


def _partition_function_flows(select: exp.Select) -> list[Flow] | None:
    """Vertica: ``SELECT swap_partitions_between_tables('s.staging', '1', '9', 's.target')`` and its kin."""
    if len(select.expressions) != 1 or select.args.get("from_") is not None:
        return None
    call = select.expressions[0]
    if not isinstance(call, exp.Anonymous) or str(call.this).lower() not in _PARTITION_FUNCTIONS:
        return None
    arguments = call.expressions
    if len(arguments) < 4 or not all(isinstance(a, exp.Literal) and a.is_string for a in (arguments[0], arguments[3])):
        return None
    effect, label = _PARTITION_FUNCTIONS[str(call.this).lower()]
    source, target = (_table_from_literal(arguments[index]) for index in (0, 3))
    if source is None or target is None:
        return None
    return [_copy_flow(effect, label, target, source)]


def _copy_flow(effect: str, label: str, target: exp.Table, source: exp.Table, *, defines_schema: bool = False) -> Flow:
    query = select_all_from(source.copy())
    return Flow(effect, label, target, query=query, defines_schema=defines_schema)


def _table_from_literal(literal: exp.Literal) -> exp.Table | None:
    """A table named by a string argument; its identifiers placed inside the literal's quotes."""
    start = literal.meta_get("start")
    dialect = Dialect.get_or_raise(None)
    if start is None:
        return _table_at(literal.name, None, dialect)
    return _table_at(literal.name, start + 1, dialect)


def _table_at(name: str, offset: int | None, dialect: Dialect) -> exp.Table | None:
    """``name`` read as a table name; its identifiers' positions moved by ``offset`` (none if ``None``)."""
    try:
        table = exp.to_table(name.strip(), dialect=dialect)
    except Exception:  # a name sqlglot cannot read as a table: no flow
        return None
    for identifier in table.find_all(exp.Identifier):
        start, end = identifier.meta_get("start"), identifier.meta_get("end")
        if offset is None or start is None or end is None:
            identifier.meta.pop("start", None)
            identifier.meta.pop("end", None)
            continue
        identifier.meta["start"], identifier.meta["end"] = start + offset, end + offset
    return table
