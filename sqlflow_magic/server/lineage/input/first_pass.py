"""The first pass: the column lists a job's own ``CREATE TABLE`` and ``CREATE VIEW`` statements declare.

Before the first statement is analysed, every file of the job is searched for lines that start with
``CREATE [OR REPLACE] [modifiers] TABLE|VIEW``; only those statements are parsed (a few percent of a
typical script), and each one that names its columns gives a :class:`Definition`:

- ``CREATE TABLE t (a INT, b TEXT)``: the column definitions;
- ``CREATE VIEW v (a, b) AS ...``: the column list;
- ``CREATE VIEW v AS SELECT ...`` and ``CREATE TABLE t AS SELECT ...``: the select list, when every
  item has a name and none is a star (cheap: no query is resolved here).

The analysis seeds its registry with them (:func:`schemas_at`), so ``SELECT *`` expands and unqualified
columns resolve against DDL that comes later in the job or sits in another of its files, and every batch
of a job analysed in parallel (``lineage/batches.py``) starts with the same knowledge. See "The first
pass" in ``docs/engine.md``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlglot import exp

from sqlflow_magic.server.lineage.model import SqlSource

#: ``(database, schema, name)`` as the registry normalises it.
Key = tuple[str | None, str | None, str]
#: ``parse(sql)``: the statements of ``sql`` in the job's dialect (``sqlglot_tools.parse_statements``); may raise.
Parse = Callable[[str], list[exp.Expr | None]]

_CREATE = re.compile(
    r"^[ \t]*CREATE\s+(?:OR\s+(?:REPLACE|ALTER)\s+)?(?:[A-Z_]+\s+){0,3}?(?:TABLE|VIEW)\b", re.IGNORECASE | re.MULTILINE
)
#: The last part of the name a CREATE TABLE/VIEW declares, read from the end of a match of :data:`_CREATE`:
#: a plain word, bare or quoted (its only group that matches), followed by no quoted argument.
_CREATED_NAME = re.compile(
    r"\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!IF\s+NOT\s)(?:[\w$#@\"`\[\]]+\s*\.\s*)*"
    r"(?:\"(\w+)\"|`(\w+)`|\[(\w+)\]|(\w+))(?=\s|;|$|\((?!\s*['\"]))",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
#: Counting a job's words costs about what parsing one CREATE head costs per this many characters of SQL
#: (compiled sqlglot, 2026-12-07: 46 us per KB against 76-103 us per head): with fewer CREATE statements
#: than one per this many characters, parsing them all is cheaper than finding those nothing reads.
_CHARS_PER_CREATE_WORTH_COUNTING = 2000
_USE = re.compile(r"^[ \t]*(USE\s[^;\n]+)", re.IGNORECASE | re.MULTILINE)
#: The ``AS`` that starts the query of a CREATE ... AS SELECT (group 1: the query).
_AS_QUERY = re.compile(r"\bAS\s*(?:\(\s*)*((?:SELECT|WITH)\b)", re.IGNORECASE)
#: What the select-list scan must see: strings, quoted names and comments (skipped whole), parentheses,
#: semicolons, and the keywords SELECT and FROM.
_LEXEME = re.compile(
    r"'(?:[^']|'')*'|\"[^\"]*\"|`[^`]*`|--[^\n]*|/\*.*?\*/|[();]|\b(?:SELECT|FROM)\b", re.IGNORECASE | re.DOTALL
)
#: Where a statement without a semicolon ends at the latest: the next line that starts another statement.
_NEXT_LINE_STATEMENT = re.compile(
    r"\n[ \t]*(?:INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|GO|USE|DECLARE|EXEC)\b",
    re.IGNORECASE,
)
#: Statements longer than this are left to the analysis (a CREATE of a huge view says little more).
_MAX_CHARS = 200_000


@dataclass(frozen=True)
class Definition:
    """The columns (normalised) declared for ``key`` at ``offset`` of file ``file_index``."""

    file_index: int
    offset: int
    key: Key
    columns: tuple[str, ...]
    #: The columns as written (a batch starts with them as the names seen so far).
    spellings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UseStatement:
    """A ``USE`` statement at ``offset`` of file ``file_index`` (it changes the default database or schema)."""

    file_index: int
    offset: int
    expression: exp.Use


def collect_definitions(
    sources: Sequence[SqlSource],
    parse: Parse,
    key_of: Callable[[exp.Table, int, int], Key],
    normalize: Callable[[str, bool], str],
    referenced_only: bool = False,
) -> list[Definition]:
    """The column lists declared by the CREATE TABLE/VIEW statements of ``sources``, in order of appearance.

    ``key_of(table, file_index, offset)`` files a table name as the analysis would at that position.
    ``referenced_only``: leave out, unparsed, each statement whose table's name is no other word of the job
    (one analysis of the whole job learns that table's columns from the statement itself, before anything
    could read them), when the job's CREATE statements are dense enough for counting its words to pay
    off; a batch needs them all (the first spellings of column names).
    """
    found: list[Definition] = []
    creates = [list(_CREATE.finditer(source.text)) for source in sources]
    words = _word_counts(sources, sum(map(len, creates))) if referenced_only else None
    for file_index, (source, matches) in enumerate(zip(sources, creates, strict=True)):
        text = source.text
        for match in matches:
            if words is not None:
                name = _CREATED_NAME.match(text, match.end())
                if name is not None and words[name.group(name.lastindex or 0).lower()] < 2:
                    continue
            parsed = _parse_create(text, match.start(), parse)
            if parsed is None:
                continue
            table, names = parsed
            try:
                key = key_of(table, file_index, match.start())
            except Exception:  # a name the registry cannot read: the analysis reports the statement
                continue
            spelled = {normalize(name, quoted): name for name, quoted in reversed(names)}
            columns = tuple(dict.fromkeys(normalize(name, quoted) for name, quoted in names))
            found.append(Definition(file_index, match.start(), key, columns, tuple(spelled[c] for c in columns)))
    return found


def _word_counts(sources: Sequence[SqlSource], creates: int) -> Counter[str] | None:
    """How often each word (lower case) occurs in the job, if its ``creates`` CREATE statements are dense
    enough for the count to pay off (:data:`_CHARS_PER_CREATE_WORTH_COUNTING`); else ``None``."""
    if not creates or creates * _CHARS_PER_CREATE_WORTH_COUNTING < sum(len(source.text) for source in sources):
        return None
    return Counter(word for source in sources for word in _WORD.findall(source.text.lower()))


def collect_uses(sources: Sequence[SqlSource], parse: Parse) -> list[UseStatement]:
    """The ``USE`` statements at line starts of ``sources``, in order (a batch starts with their effect)."""
    found: list[UseStatement] = []
    for file_index, source in enumerate(sources):
        for match in _USE.finditer(source.text):
            try:
                statements = parse(match.group(1))
            except Exception:  # the analysis reports it
                continue
            if len(statements) == 1 and isinstance(statements[0], exp.Use):
                found.append(UseStatement(file_index, match.start(), statements[0]))
    return found


def spellings_at(definitions: Sequence[Definition], file_index: int, offset: int) -> dict[str, str]:
    """The first spelling of each column name the definitions before a position declare."""
    spelling: dict[str, str] = {}
    for definition in definitions:
        if (definition.file_index, definition.offset) >= (file_index, offset):
            break
        for key, name in zip(definition.columns, definition.spellings, strict=False):
            spelling.setdefault(key, name)
    return spelling


def schemas_at(definitions: Sequence[Definition], file_index: int, offset: int) -> dict[Key, list[str]]:
    """The schemas known at a position: each table's last definition before it, else its first one after.

    At the start of a job (``0, 0``) that is every table's first definition; a batch that starts later
    sees what the statements before it declared, as one analysis of the whole job would.
    """
    before: dict[Key, tuple[str, ...]] = {}
    after: dict[Key, tuple[str, ...]] = {}
    for definition in definitions:
        if (definition.file_index, definition.offset) < (file_index, offset):
            before[definition.key] = definition.columns
        else:
            after.setdefault(definition.key, definition.columns)
    return {key: list(columns) for key, columns in {**after, **before}.items()}


def _parse_create(text: str, start: int, parse: Parse) -> tuple[exp.Table, list[tuple[str, bool]]] | None:
    """The table and its declared ``(name, quoted)`` columns, if the statement at ``start`` declares them.

    A CREATE ... AS SELECT is parsed as its head and its select list only (``CREATE VIEW v AS SELECT a,
    b + 1 AS c``): the rest of the query names no column of the result, and parsing it would cost as
    much as analysing the statement.
    """
    limit = min(len(text), start + _MAX_CHARS)
    next_line = _NEXT_LINE_STATEMENT.search(text, start + 6, limit)
    hard_end = next_line.start() if next_line else limit
    query = _AS_QUERY.search(text, start, hard_end)
    if query is not None and ";" not in text[start : query.start()]:
        select = _main_select(text, query.start(1), hard_end)
        end = _select_list_end(text, select + 6, hard_end) if select is not None else None
        if end is None:
            return None
        return _parsed(f"{text[start : query.start()]} AS {text[select:end]}", parse)
    opening = text.find("(", start, hard_end)
    closing = _closing_parenthesis(text, opening, hard_end) if opening != -1 else None
    if closing is None or ";" in text[start:opening]:
        return None
    return _parsed(text[start : closing + 1], parse)  # CREATE TABLE t (...), CREATE VIEW v (...) AS ...


def _parsed(sql: str, parse: Parse) -> tuple[exp.Table, list[tuple[str, bool]]] | None:
    try:
        statements = parse(sql)
    except Exception:  # SQL this dialect cannot read: the analysis reports it
        return None
    create = statements[0] if len(statements) == 1 else None
    return _declared(create) if isinstance(create, exp.Create) else None


def _tokens(text: str, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """Each token from ``start`` to ``end`` with the parenthesis depth after it and its offset (strings,
    quoted names and comments skipped)."""
    depth = 0
    for match in _LEXEME.finditer(text, start, end):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        yield token, depth, match.start()


def _main_select(text: str, start: int, end: int) -> int | None:
    """Where the outermost SELECT of a query starts (after its WITH list, if any)."""
    for token, depth, at in _tokens(text, start, end):
        if token == ";":
            return None
        if depth <= 0 and token.upper() == "SELECT":
            return at
    return None


def _closing_parenthesis(text: str, opening: int, end: int) -> int | None:
    """Where the parenthesis opened at ``opening`` closes."""
    for token, depth, at in _tokens(text, opening, end):
        if token == ";":
            return None
        if token == ")" and depth == 0:
            return at
    return None


def _select_list_end(text: str, start: int, end: int) -> int | None:
    """Where the select list that starts at ``start`` ends: its FROM (or the end of the query)."""
    for token, depth, at in _tokens(text, start, end):
        if (token == ")" and depth < 0) or token == ";" or (depth == 0 and token.upper() == "FROM"):
            return at
    return end if end > start else None


def _declared(create: exp.Create) -> tuple[exp.Table, list[tuple[str, bool]]] | None:
    if str(create.args.get("kind") or "").upper() not in ("TABLE", "VIEW"):
        return None
    target = create.this
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        names = []
        for item in target.expressions:
            node = item.this if isinstance(item, exp.ColumnDef) else item
            if isinstance(node, exp.Identifier):
                names.append((node.name, bool(node.quoted)))
        return (target.this, names) if names else None
    query = create.expression
    if not isinstance(target, exp.Table) or not isinstance(query, exp.Query) or query.is_star:
        return None
    names = []
    for select in query.selects:
        alias = select.args.get("alias") if isinstance(select, exp.Alias) else None
        node = alias if isinstance(alias, exp.Identifier) else select.this if isinstance(select, exp.Column) else None
        if not isinstance(node, exp.Identifier):
            return None  # an expression without a name: the analysis names it
        names.append((node.name, bool(node.quoted)))
    return (target, names) if names else None
