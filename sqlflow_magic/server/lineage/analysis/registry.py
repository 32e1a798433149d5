"""The objects, columns, ids and session schema accumulated over one analysis."""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

from sqlflow_magic.server.lineage.model import Column, DbObject, Span

#: Normalised ``(database, schema, name)`` of a table or view.
TableKey = tuple[str | None, str | None, str]

_UPPER = (NormalizationStrategy.UPPERCASE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)
_INSENSITIVE = (NormalizationStrategy.CASE_INSENSITIVE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)


class Registry:
    """Hands out ids and keeps one object per table (case-normalised) and one column per name.

    Display names keep the spelling of their first occurrence; identity follows the dialect's
    case rules (sqlglot's ``normalize_identifier``).
    """

    def __init__(
        self,
        dialect: Dialect,
        *,
        two_level_names: bool,
        default_database: str | None,
        default_schema: str | None,
    ) -> None:
        self._strategy = dialect.normalization_strategy
        self._two_level = two_level_names
        self.default_database = default_database or None
        self.default_schema = default_schema or None
        self._counter = 0
        self.objects: list[DbObject] = []
        self._tables: dict[TableKey, int] = {}
        self._result_sets = 0
        self._spelling: dict[str, str] = {}
        self._statement_spelling: dict[str, str] = {}
        #: When a set: every ``(key, first spelling)`` :meth:`display` fell back to (a batch records them, so
        #: the merge can check that one analysis of the whole job would have seen the same first spelling).
        self.spelling_lookups: set[tuple[str, str | None]] | None = None
        #: Object index -> complete ordered list of normalised column names (from DDL or CTAS).
        self.schemas: dict[int, list[str]] = {}
        #: Table key -> column list from the first pass (``input/first_pass.py``), applied when the object appears.
        self._seeded: dict[TableKey, list[str]] = {}
        self._from_seed: set[int] = set()  # objects whose schema is still the seed's
        #: When a set: the objects whose schema was looked up while it was the seed's or unknown (see
        #: ``spelling_lookups``: the merge checks that no earlier batch declared another one).
        self.seed_lookups: set[int] | None = None
        #: The routine whose body is being analysed: the ``procedureName`` of the processes made now.
        self.procedure: str | None = None

    def new_id(self) -> str:
        """The next id (ids of objects, columns, relationships and processes share one counter)."""
        self._counter += 1
        return str(self._counter)

    @property
    def last_id(self) -> int:
        """The highest id handed out so far."""
        return self._counter

    # -- names -------------------------------------------------------------------------------
    def normalize(self, name: str, quoted: bool = False) -> str:
        """The identity of an identifier under the dialect's case rules."""
        strategy = self._strategy
        if strategy is NormalizationStrategy.CASE_SENSITIVE or (quoted and strategy not in _INSENSITIVE):
            return name
        return name.upper() if strategy in _UPPER else name.lower()

    def remember_spelling(self, spelling: dict[str, str]) -> None:
        """Record how the names of the query being analysed are written (normalised name -> spelling)."""
        self._statement_spelling = spelling
        first = self._spelling
        for key, name in spelling.items():
            first.setdefault(key, name)

    def display(self, key: str) -> str:
        """The original spelling of a normalised name: as in the current statement, else as first seen."""
        spelled = self._statement_spelling.get(key)
        if spelled:
            return spelled
        first = self._spelling.get(key)
        if self.spelling_lookups is not None:
            self.spelling_lookups.add((key, first))
        return first or key

    def seed_spelling(self, spelling: dict[str, str]) -> None:
        """Names seen before the first statement (a batch of a job starts with those of the job's DDL)."""
        for key, name in spelling.items():
            self._spelling.setdefault(key, name)

    def first_spellings(self) -> dict[str, str]:
        """Each normalised name seen so far -> its first spelling."""
        return dict(self._spelling)

    # -- objects -----------------------------------------------------------------------------
    def table_parts(self, table: exp.Table) -> tuple[TableKey, tuple[str | None, str | None, str], str]:
        """The key, the display ``(database, schema, name)`` (defaults applied) and the name as written."""
        name_node = table.this
        if isinstance(name_node, exp.Identifier):
            name, quoted = name_node.name, bool(name_node.quoted)
            if name_node.args.get("temporary"):
                name = "#" + name
            elif name_node.args.get("global_"):
                name = "##" + name
        else:
            name, quoted = name_node.sql() if name_node is not None else "?", False
        catalog, db = table.args.get("catalog"), table.args.get("db")
        if self._two_level and catalog is None:
            catalog, db = db, None
        database = _identifier_text(catalog)
        schema = _identifier_text(db)
        written = ".".join(part for part in (database, schema, name) if part)
        database_key = self.normalize(database, _quoted(catalog)) if database else None
        schema_key = self.normalize(schema, _quoted(db)) if schema else None
        if database is None and self.default_database:
            database, database_key = self.default_database, self.normalize(self.default_database)
        if schema is None and self.default_schema and not self._two_level:
            schema, schema_key = self.default_schema, self.normalize(self.default_schema)
        return (database_key, schema_key, self.normalize(name, quoted)), (database, schema, name), written

    def table(self, table: exp.Table, span: Span | None, object_type: str = "table") -> int:
        """The index of the object for a table reference (created on first sight).

        A ``path`` (a file location, ``flows/paths.py``) is its literal alone: no default database or schema.
        """
        key, (database, schema, name), written = self.table_parts(table)
        if object_type == "path":
            key, database, schema = (None, None, key[2]), None, None
        index = self._tables.get(key)
        if index is None:
            index = len(self.objects)
            self._tables[key] = index
            self.objects.append(DbObject(self.new_id(), name, object_type, database, schema, written=written))
            if key in self._seeded:
                self.set_schema(index, self._seeded[key])
                self._from_seed.add(index)
        obj = self.objects[index]
        if object_type == "view":
            obj.type = "view"
        obj.add_span(span)
        return index

    def result_set(self, span: Span | None) -> int:
        """A new result-set object (``RS-1``, ``RS-2``, ...) for a plain SELECT."""
        self._result_sets += 1
        self.objects.append(DbObject(self.new_id(), f"RS-{self._result_sets}", "select_list"))
        self.objects[-1].add_span(span)
        return len(self.objects) - 1

    def process(self, name: str, span: Span | None) -> DbObject:
        """A process object (one analysed data flow of a statement)."""
        obj = DbObject(self.new_id(), name, "process", procedure=self.procedure)
        obj.add_span(span)
        self.objects.append(obj)
        return obj

    def column(self, index: int, key: str, span: Span | None, display: str | None = None) -> Column:
        """The column ``key`` (normalised) of object ``index``, created on first sight."""
        obj = self.objects[index]
        column = obj.find_column(key)
        if column is None:
            column = Column(self.new_id(), display or self.display(key))
            obj.columns.append(column)
            obj._column_index[key] = column
        column.add_span(span)
        return column

    def object_keys(self) -> list[TableKey | None]:
        """The key of each object of :attr:`objects` (``None`` for result sets and processes)."""
        keys: list[TableKey | None] = [None] * len(self.objects)
        for key, index in self._tables.items():
            keys[index] = key
        return keys

    @staticmethod
    def column_keys(obj: DbObject) -> dict[str, str]:
        """Column id -> the normalised name it is registered under, for one object."""
        return {column.id: key for key, column in obj._column_index.items()}

    # -- session schema ----------------------------------------------------------------------
    def set_schema(self, index: int, columns: Iterable[str]) -> None:
        """Declare the complete column list of an object (so ``SELECT *`` can expand)."""
        names = list(dict.fromkeys(columns))
        if names and "*" not in names:
            self.schemas[index] = names
            self._from_seed.discard(index)

    def seed_schemas(self, schemas: dict[TableKey, list[str]]) -> None:
        """Column lists the job's own DDL declares (the first pass), known from each table's first sight on."""
        self._seeded = dict(schemas)

    def table_key(self, table: exp.Table) -> TableKey:
        """The normalised key of a table reference, as :meth:`table` files it."""
        return self.table_parts(table)[0]

    def known_columns(self, index: int) -> list[str] | None:
        """The complete column list of an object, when a CREATE statement declared it."""
        schema = self.schemas.get(index)
        if self.seed_lookups is not None and (schema is None or index in self._from_seed):
            self.seed_lookups.add(index)
        return schema

    def analysed_schemas(self) -> dict[int, list[str]]:
        """The schemas the analysis itself declared (not those still as the first pass seeded them)."""
        return {index: names for index, names in self.schemas.items() if index not in self._from_seed}

    def mini_schema(self, indexes: Iterable[int]) -> dict[str, dict[str, str]]:
        """A sqlglot schema of only the given objects, keyed by their placeholder names."""
        if self.seed_lookups is not None:
            indexes = list(indexes)
            seeded, known = self._from_seed, self.schemas
            self.seed_lookups.update(index for index in indexes if index in seeded or index not in known)
        return {
            placeholder(index): dict.fromkeys(self.schemas[index], "UNKNOWN")
            for index in indexes
            if index in self.schemas
        }


def placeholder(index: int) -> str:
    """The table name that stands for object ``index`` while sqlglot qualifies a query.

    Only digits and underscores, so no dialect's case normalisation changes it.
    """
    return f"_{index}_"


def placeholder_index(name: str) -> int | None:
    """The object index encoded by :func:`placeholder`, or ``None`` for any other name."""
    if len(name) > 2 and name[0] == "_" and name[-1] == "_" and name[1:-1].isdigit():
        return int(name[1:-1])
    return None


def _identifier_text(node: exp.Expr | None) -> str | None:
    if node is None:
        return None
    text = node.name if isinstance(node, exp.Identifier) else node.sql()
    return text or None


def _quoted(node: exp.Expr | None) -> bool:
    return bool(isinstance(node, exp.Identifier) and node.quoted)
