"""A lineage view written in SQLFlow's export formats: the job and generation JSON answers, CSV, GraphML.

Every function takes a view (:func:`~sqlflow_magic.server.exports.views.apply_view` of the complete
lineage JSON) and writes it; none of them decides what is shown.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any
from xml.etree import ElementTree

from sqlflow_magic.server.exports.json_text import encode
from sqlflow_magic.server.exports.layout import graph_of
from sqlflow_magic.server.exports.views import ViewOptions, apply_view, bare_name

CSV_FIELDS = (
    "source_db", "source_schema", "source_table", "source_column",
    "target_db", "target_schema", "target_table", "target_column",
    "relation_type", "effect_type",
)  # fmt: skip
#: The CSV header with the default delimiter.
CSV_HEADER = ",".join(CSV_FIELDS)
#: Object types between which the plain (not "full") CSV has rows: stored data (files and locations too), no
#: result sets.
_STORES = frozenset({"table", "view", "path"})
_GRAPH_NODE_TYPES = frozenset({"table", "view", "path", "select_list"})
_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
#: The job exports: the JSON answer, the CSV of rows between tables, views and paths, the full CSV, GraphML.
FORMS = ("json", "csv", "full-csv", "graphml")


def render(lineage: Mapping[str, Any], options: ViewOptions, form: str, delimiter: str = ",") -> bytes:
    """The job export ``form`` (one of :data:`FORMS`) of the view ``options`` of a complete lineage."""
    view = apply_view(lineage, options)
    if form == "json":
        return json_bytes(job_answer(view))
    if form == "graphml":
        return graphml_text(view).encode()
    return csv_text(view, delimiter, stores_only=form == "csv").encode()


def json_bytes(answer: Mapping[str, Any]) -> bytes:
    """An answer as compact UTF-8 JSON, as SQLFlow sends it (characters unescaped), by orjson where it is
    installed (:mod:`.json_text`)."""
    return encode(answer)


def render_generation(lineage: Mapping[str, Any], options: ViewOptions, form: str, delimiter: str = ",") -> bytes:
    """The answer of a generation endpoint: ``json`` (``/sqlflow/generation/sqlflow``), ``graph`` (its
    ``/graph``), ``csv`` or ``full-csv`` (its CSV exports), of the view ``options`` of a complete lineage."""
    view = apply_view(lineage, options)
    if form in ("json", "graph"):
        return json_bytes(generation_answer(view, with_graph=form == "graph"))
    return csv_text(view, delimiter, stores_only=form == "csv").encode()


def render_stored(lineage: bytes, options: ViewOptions, form: str, delimiter: str = ",") -> bytes:
    """:func:`render` of a stored complete lineage (its JSON text)."""
    return render(json.loads(lineage), options, form, delimiter)


def view_kind(form: str, options: ViewOptions, delimiter: str = ",") -> str:
    """The name a rendered export is stored under beside the job's lineage."""
    return f"view/{form}/{ord(delimiter)}/{options.key}"


def job_answer(view: Mapping[str, Any]) -> dict[str, Any]:
    """The answer of the job exports ``exportLineageAsJson`` and ``exportFullLineageAsJson``: the graph drawn."""
    answer = dict(view)
    data = answer["data"] = dict(view["data"])
    data["mode"], data["graph"] = graph_of(view)
    return answer


def generation_answer(view: Mapping[str, Any], *, with_graph: bool) -> dict[str, Any]:
    """The answer of ``/sqlflow/generation/sqlflow`` (the lineage directly under ``data``) or, ``with_graph``,
    of ``/sqlflow/generation/sqlflow/graph`` (``data.sqlflow`` and ``data.graph``)."""
    data = view["data"]
    if with_graph:
        mode, graph = graph_of(view)
        body: dict[str, Any] = {"mode": mode, "summary": data["summary"], "sqlflow": data["sqlflow"], "graph": graph}
    else:
        body = {**data["sqlflow"], "summary": data["summary"]}
    answer: dict[str, Any] = {"code": view["code"], "data": body, "sessionId": view["sessionId"]}
    if "error" in view:
        answer["error"] = view["error"]
    return answer


def csv_text(view: Mapping[str, Any], delimiter: str = ",", *, stores_only: bool = False) -> str:
    """One row per relationship source; unknown database or schema read ``DEFAULT``.

    ``stores_only`` (the plain ``exportLineageAsCsv``) keeps rows between tables, views and paths (files,
    locations): SQLFlow documents its exported column lineage as source and target table columns, without result sets.
    ``delimiter`` must be one character (``csv`` module rule); a ``ValueError`` says so otherwise.
    """
    if len(delimiter) != 1:
        raise ValueError(f"the CSV delimiter must be a single character, got {delimiter!r}")
    objects = {obj["id"]: obj for obj in view["data"]["sqlflow"]["dbobjs"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for rel, source in _flows(view):
        source_obj, target_obj = objects[source["parentId"]], objects[rel["target"]["parentId"]]
        if stores_only and not (source_obj["type"] in _STORES and target_obj["type"] in _STORES):
            continue
        writer.writerow((*_csv_names(source_obj), source["column"], *_csv_names(target_obj), rel["target"]["column"],
                         rel["type"], rel.get("effectType", "")))
    return buffer.getvalue()


def graphml_text(view: Mapping[str, Any]) -> str:
    """GraphML for yEd and other graph tools: tables (and their columns) as labelled nodes, flows as edges."""
    sqlflow = view["data"]["sqlflow"]
    objects = [obj for obj in sqlflow["dbobjs"] if obj["type"] in _GRAPH_NODE_TYPES]
    table_level = all(column["name"] == "TABLE" for obj in objects for column in obj.get("columns") or [])
    ElementTree.register_namespace("", _GRAPHML_NS)
    root = ElementTree.Element(f"{{{_GRAPHML_NS}}}graphml")
    keys = (
        ("label", "node", "label"), ("kind", "node", "kind"), ("qualified", "node", "qualified_name"),
        ("parent", "node", "parent"), ("relation", "edge", "relation_type"), ("effect", "edge", "effect_type"),
        ("edgekind", "edge", "kind"),
    )  # fmt: skip
    for key_id, domain, name in keys:
        ElementTree.SubElement(
            root, f"{{{_GRAPHML_NS}}}key", {"id": key_id, "for": domain, "attr.name": name, "attr.type": "string"}
        )
    graph = ElementTree.SubElement(root, f"{{{_GRAPHML_NS}}}graph", {"id": "lineage", "edgedefault": "directed"})

    def add(tag: str, attributes: dict[str, str], data: dict[str, str]) -> None:
        element = ElementTree.SubElement(graph, f"{{{_GRAPHML_NS}}}{tag}", attributes)
        for key, value in data.items():
            ElementTree.SubElement(element, f"{{{_GRAPHML_NS}}}data", {"key": key}).text = value

    edges: list[tuple[str, str, dict[str, str]]] = []
    nodes = set()
    for obj in objects:
        qualified = ".".join(part for part in (obj.get("database"), obj.get("schema"), bare_name(obj)) if part)
        add("node", {"id": f"t{obj['id']}"}, {"label": obj["name"], "kind": obj["type"], "qualified": qualified})
        nodes.add(f"t{obj['id']}")
        if table_level:
            continue
        for column in obj.get("columns") or []:
            add("node", {"id": f"c{column['id']}"}, {"label": f"{obj['name']}.{column['name']}", "kind": "column",
                                                     "parent": qualified})
            nodes.add(f"c{column['id']}")
            edges.append((f"t{obj['id']}", f"c{column['id']}", {"edgekind": "contains"}))
    seen: set[tuple[str, str, str, str]] = set()
    for rel, source in _flows(view):
        ends = [(f"t{end['parentId']}" if table_level else f"c{end['id']}") for end in (source, rel["target"])]
        key = (ends[0], ends[1], rel["type"], rel.get("effectType", ""))
        if key not in seen and ends[0] in nodes and ends[1] in nodes:
            seen.add(key)
            edges.append((ends[0], ends[1], {"relation": rel["type"], "effect": key[3], "edgekind": "lineage"}))
    for number, (source_id, target_id, data) in enumerate(edges, start=1):
        add("edge", {"id": f"e{number}", "source": source_id, "target": target_id}, data)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _flows(view: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for rel in view["data"]["sqlflow"]["relationships"]:
        for source in rel["sources"]:
            yield rel, source


def _csv_names(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    return obj.get("database") or "DEFAULT", obj.get("schema") or "DEFAULT", bare_name(obj)
