"""What an export shows of a job's complete lineage: SQLFlow's display settings, applied to its JSON.

The analysis stores the complete lineage once (every relationship type, every object; see
:func:`~sqlflow_magic.server.lineage.export.to_sqlflow_json`). Every export and the generation
endpoints then show a *view* of it, chosen by the request's fields, with SQLFlow's defaults:

- ``showRelationType``: a comma list of relationship types (default ``fdd``);
- ``ignoreRecordSet`` (default true): result sets that only pass data on are left out, their flows
  joined (``A -> RS -> B`` becomes ``A -> B``); a result set that ends a flow stays;
- ``ignoreFunction`` (default true): the same for function objects;
- ``tableToTable``: the table-level lineage (columns read ``TABLE``) instead of the column level;
- ``database``, ``schema``, ``table``, ``column``: only relationships with an end in those objects.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlflow_magic.protocol import RELATION_TYPES

#: Relationship types SQLFlow knows; ``showRelationType`` takes any of them.
DEFAULT_RELATION_TYPES = frozenset({"fdd"})
#: Object types counted as data stores in summaries.
_STORES = ("table", "view")
_RECORD_SETS = frozenset({"select_list", "insert-select", "update-set", "merge-insert", "merge-update"})
_FILTERS = ("database", "schema", "table", "column")


class ViewError(ValueError):
    """A display setting the view cannot take; the message names the field and what it takes."""


@dataclass(frozen=True)
class ViewOptions:
    """The display settings of one export (SQLFlow's defaults unless the request gives others)."""

    relation_types: frozenset[str] = DEFAULT_RELATION_TYPES
    ignore_record_set: bool = True
    ignore_function: bool = True
    table_level: bool = False
    database: str | None = None
    schema: str | None = None
    table: str | None = None
    column: str | None = None

    @classmethod
    def from_fields(cls, get: Any, get_bool: Any) -> ViewOptions:
        """Read the view from request fields: ``get(name)`` gives a field or None, ``get_bool(name, default)``."""
        text = get("showRelationType")
        types = DEFAULT_RELATION_TYPES
        if text:
            types = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
            unknown = sorted(types - set(RELATION_TYPES))
            if unknown:
                raise ViewError(f"showRelationType has unknown types {', '.join(map(repr, unknown))}: use a comma "
                                f"list of {', '.join(RELATION_TYPES)}")  # repr: a type may hold a line break
        return cls(types, get_bool("ignoreRecordSet", True), get_bool("ignoreFunction", True),
                   get_bool("tableToTable", False), *(get(name) for name in _FILTERS))

    @property
    def key(self) -> str:
        """A canonical text of these settings, to store a rendered view under."""
        filters = "|".join(f"{name}={getattr(self, name) or ''}" for name in _FILTERS)
        return (f"{','.join(sorted(self.relation_types))};rs={int(self.ignore_record_set)};"
                f"fn={int(self.ignore_function)};tt={int(self.table_level)};{filters}")

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in _FILTERS)


def apply_view(answer: Mapping[str, Any], options: ViewOptions) -> dict[str, Any]:
    """The complete lineage ``answer`` showing what ``options`` ask for, its summary recounted.

    ``answer`` is not changed; the view shares the objects it keeps unchanged with it.
    """
    view = dict(answer)
    data = view["data"] = dict(answer.get("data") or {})
    sqlflow = data["sqlflow"] = dict(data.get("sqlflow") or {})
    objects: list[dict[str, Any]] = sqlflow.get("dbobjs") or []
    relationships: list[dict[str, Any]] = sqlflow.get("relationships") or []
    sources = {source["parentId"] for rel in relationships for source in rel.get("sources") or []}
    hidden = {obj["id"] for obj in objects if obj["id"] in sources and _hidden_kind(obj, options)}
    if hidden:
        relationships = _joined_through(relationships, hidden)
        objects = [obj for obj in objects if obj["id"] not in hidden]
    relationships = [rel for rel in relationships if rel.get("type") in options.relation_types]
    if options.filtered:
        by_id = {obj["id"]: obj for obj in objects}
        matching = {oid for oid, obj in by_id.items() if _matches(obj, options)}
        relationships = [rel for rel in relationships if any(
            end["parentId"] in matching and _column_matches(end, options) for end in _ends(rel))]
        kept = matching | {end["parentId"] for rel in relationships for end in _ends(rel)}
        kept |= {rel["processId"] for rel in relationships if rel.get("processId")}
        objects = [obj for obj in objects if obj["id"] in kept]
    sqlflow["dbobjs"], sqlflow["relationships"] = objects, relationships
    data["summary"] = summary(objects, relationships)
    return view


def summary(objects: list[dict[str, Any]], relationships: list[dict[str, Any]]) -> dict[str, Any]:
    """SQLFlow's ``summary``: counts, and the three tables in most relationships (``mostRelationTables``)."""
    stores = [obj for obj in objects if obj.get("type") in _STORES]
    touches = Counter(end["parentId"] for rel in relationships for end in _ends(rel))
    ranked = sorted((obj for obj in stores if touches[obj["id"]]),
                    key=lambda obj: (-touches[obj["id"]], obj["name"].casefold()))[:3]
    return {
        "database": len({obj["database"] for obj in stores if obj.get("database")}),
        "schema": len({(obj.get("database"), obj["schema"]) for obj in stores if obj.get("schema")}),
        "table": sum(1 for obj in stores if obj["type"] == "table"),
        "view": sum(1 for obj in stores if obj["type"] == "view"),
        "column": sum(len(obj.get("columns") or []) for obj in stores),
        "relationship": len(relationships),
        "process": sum(1 for obj in objects if obj.get("type") == "process"),
        "mostRelationTables": [{k: v for k, v in (("database", obj.get("database")), ("schema", obj.get("schema")),
                                                  ("table", bare_name(obj))) if v} for obj in ranked],
    }


def bare_name(obj: Mapping[str, Any]) -> str:
    """An object's own name: its ``name`` (written as in the SQL) without the database and schema."""
    name = str(obj.get("name") or "")
    for part in (obj.get("database"), obj.get("schema")):
        if part and name.casefold().startswith(f"{part}.".casefold()):
            name = name[len(part) + 1:]
    return name


def _ends(rel: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    yield rel["target"]
    yield from rel.get("sources") or []


def _hidden_kind(obj: Mapping[str, Any], options: ViewOptions) -> bool:
    """Whether ``obj`` is of a kind the view leaves out when it passes data on (when it is a source)."""
    kind = obj.get("type")
    return (options.ignore_record_set and kind in _RECORD_SETS) or (options.ignore_function and kind == "function")


def _joined_through(relationships: list[dict[str, Any]], hidden: set[str]) -> list[dict[str, Any]]:
    """The relationships with the hidden objects taken out: flows through them joined, kinds combined."""
    into: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for rel in relationships:
        if rel["target"]["parentId"] in hidden:
            into[(rel["target"]["parentId"], rel["target"]["column"])] += [(rel["type"], s) for s in rel["sources"]]

    def expand(source: dict[str, Any], kind: str, seen: frozenset[tuple[str, str]]) -> Iterator[tuple[str, Any]]:
        key = (source["parentId"], source["column"])
        if source["parentId"] not in hidden:
            yield kind, source
        elif key not in seen:
            for earlier, upstream in into.get(key, ()):  # fdd only if every hop is; else the kind nearest the target
                yield from expand(upstream, earlier if kind == "fdd" else kind, seen | {key})

    joined = []
    for rel in relationships:
        if rel["target"]["parentId"] in hidden:
            continue
        by_kind: dict[str, dict[str, Any]] = {}
        for source in rel["sources"]:
            for kind, end in expand(source, rel["type"], frozenset()):
                by_kind.setdefault(kind, {})[end["id"]] = end
        for number, (kind, ends) in enumerate(sorted(by_kind.items(), key=lambda item: item[0] != rel["type"])):
            rel_id = rel["id"] if number == 0 else f"{rel['id']}_{number}"
            joined.append({**rel, "id": rel_id, "type": kind, "sources": list(ends.values())})
    return joined


def _matches(obj: Mapping[str, Any], options: ViewOptions) -> bool:
    """Whether ``obj`` is in the database and schema, and is the table, that ``options`` name (case-insensitively)."""
    def same(value: object, wanted: str | None) -> bool:
        return wanted is None or str(value or "").casefold() == wanted.casefold()

    return (same(obj.get("database"), options.database) and same(obj.get("schema"), options.schema)
            and (same(bare_name(obj), options.table) or same(obj.get("name"), options.table)))


def _column_matches(end: Mapping[str, Any], options: ViewOptions) -> bool:
    return options.column is None or str(end.get("column", "")).casefold() == options.column.casefold()
