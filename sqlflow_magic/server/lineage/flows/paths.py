"""Statements that read or write files: COPY from a path, INSERT OVERWRITE DIRECTORY, Redshift UNLOAD.

SQLFlow models a file location (an HDFS directory, an S3 or Azure URL, a local path) as a ``path``
object named by the string literal as written, quotes included (``'s3://bucket/dir'``); its lineage
flows like a table's (``docs/engine.md#paths``):

- ``COPY t FROM 's3://...'`` (PostgreSQL, Redshift) and ``COPY INTO t FROM 's3://...'`` (Snowflake,
  T-SQL): ``insert``, ``path -> t``, the path's ``*`` into ``t``'s ``*``;
- ``COPY INTO 's3://...' FROM t`` (Snowflake unloading): ``insert``, ``t -> path``;
- ``INSERT OVERWRITE [LOCAL] DIRECTORY 'hdfs://...' SELECT ...`` (Hive, Spark, Databricks): ``insert``,
  the query's sources into the path, column by column as into a table without a column list;
- ``UNLOAD ('select ...') TO 's3://...'`` (Redshift; sqlglot reads it as a generic command): the quoted
  query is parsed in the statement's dialect and flows into the path like an INSERT's query.

A Snowflake stage (``@stage/dir``) is not a path: ``COPY INTO t FROM @stage`` has no file source here.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from sqlflow_magic.server.lineage.flows.star import select_all_from
from sqlflow_magic.server.lineage.flows.statements import Flow

#: The object type SQLFlow gives a file location.
PATH_TYPE = "path"
#: The meta key marking a table node that stands for a path (read when the query's tables are registered).
OBJECT_TYPE_META = "sqlflow_object_type"
#: ``UNLOAD ('select ...') TO 's3://...'``: the quoted query and the quoted location.
_UNLOAD = re.compile(r"^\s*UNLOAD\s*\(\s*'(?P<query>(?:[^']|'')*)'\s*\)\s*TO\s+'(?P<uri>(?:[^']|'')*)'", re.IGNORECASE)


def path_flows(statement: exp.Expr) -> list[Flow] | None:
    """The flows of a COPY or an INSERT into a directory; ``None`` for any other statement."""
    if isinstance(statement, exp.Copy):
        return _copy_flows(statement)
    if isinstance(statement, exp.Insert) and isinstance(statement.this, exp.Directory):
        location = statement.this.this
        query = statement.expression
        if not isinstance(location, exp.Literal) or not isinstance(query, exp.Query):
            return None
        return [Flow("insert", "Insert", path_table(location), PATH_TYPE, query=query)]
    return None


def unload_flows(statement_text: str, offset: int, dialect: Dialect) -> list[Flow]:
    """The flow of a Redshift ``UNLOAD ('select ...') TO 's3://...'`` (none for any other text).

    ``offset`` is the position of ``statement_text`` relative to the statement's base: the path and
    the quoted query's names keep their place in the file (none when the query doubles its quotes).
    """
    match = _UNLOAD.match(statement_text)
    if match is None:
        return []
    text = match.group("query")
    try:
        query = sqlglot.parse_one(text.replace("''", "'"), dialect=dialect)
    except SqlglotError:  # an UNLOAD of a query sqlglot cannot read: no flow, the command's hint stays
        return []
    if not isinstance(query, exp.Query):
        return []
    _move(query, offset + match.start("query") if "''" not in text else None)
    uri = exp.Literal.string(match.group("uri").replace("''", "'"))
    uri.meta["start"], uri.meta["end"] = offset + match.start("uri") - 1, offset + match.end("uri")
    return [Flow("insert", "Unload", path_table(uri), PATH_TYPE, query=query)]


def path_table(location: exp.Literal) -> exp.Table:
    """A table node standing for the path ``location``: named by the literal as written, at its place."""
    identifier = exp.Identifier(this=f"'{location.name}'", quoted=True)
    for key in ("start", "end", "line", "col"):
        if key in location.meta:
            identifier.meta[key] = location.meta[key]
    table = exp.Table(this=identifier)
    table.meta[OBJECT_TYPE_META] = PATH_TYPE
    return table


def _copy_flows(copy: exp.Copy) -> list[Flow] | None:
    target, files = copy.this, copy.args.get("files") or []
    if not isinstance(target, exp.Table):
        return None
    target_literal = target.this if isinstance(target.this, exp.Literal) else None
    if target_literal is not None:  # COPY INTO 's3://...' FROM t: the table is unloaded into the path
        sources = [f for f in files if isinstance(f, exp.Table) and isinstance(f.this, exp.Identifier)]
        if len(sources) != 1:
            return None
        query = select_all_from(sources[0].copy())
        return [Flow("insert", "Copy", path_table(target_literal), PATH_TYPE, query=query)]
    flows = []
    for file in files:
        literal = file.this if isinstance(file, exp.Table) else file
        if isinstance(literal, exp.Literal) and literal.is_string:
            flows.append(Flow("insert", "Copy", target, query=select_all_from(path_table(literal))))
    return flows or None


def _move(query: exp.Expr, offset: int | None) -> None:
    """Move the positions of ``query``'s nodes by ``offset``, or drop them when it is ``None``."""
    for node in query.walk():
        start, end = node.meta.get("start"), node.meta.get("end")
        if start is None or end is None:
            continue
        if offset is None:
            node.meta.pop("start")
            node.meta.pop("end")
        else:
            node.meta["start"], node.meta["end"] = start + offset, end + offset
