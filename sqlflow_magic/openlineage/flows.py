"""A job's lineage as statements: per statement, the column flows between real data stores.

SQLFlow routes a statement's flows through intermediates (``insert-select``, ``select_list``,
``update-set``, ``merge-insert``, ``pseudoTable``, function results, ...). They are joined here as in
:mod:`sqlflow_magic.lineage_json.graph` (``A -> X -> B`` is ``A -> B``; ``fdd`` only when every hop is
``fdd``, else the indirect kind nearest the target), so that the ends of a flow are stores (tables,
views, files, ...) or the result set of a plain ``SELECT``. What each joined flow keeps:

- its **statement**: the ``processId`` nearest the target on its hops (2023+ answers put it on the
  hop into the statement's target; the embedded server on every hop), else the process of an
  intermediate it passes (one whose other hops name their process: 2023+ answers leave the hop of the
  rows, ``RelationRows``, without one). An answer without process ids
  (2021 and 2022 answers, lineage read from a database) gets one statement per target it writes,
  keyed ``target:<object id>``, named after the target, in the order the answer first writes them;
- its **subtype**: for a value flow (``fdd``), the strongest ``valueKind`` on its hops (identity <
  transformation < aggregation), known only if every hop says it (or, without ``valueKind``, SQLFlow's
  ``dependency`` ``simple``: an identity); for a row flow (``fdr`` ...), the first ``clauseType`` on its
  hops from the source. Real SQLFlow answers carry ``clauseType`` only on some ``fdr`` hops and
  ``valueKind`` never: their flows have no subtype where the answer does not say.

A flow whose statement spans several statements cannot occur: every hop of SQLFlow's answers belongs to
one statement (intermediates are per statement); a hop without process id takes the statement of the
hop after it or of its intermediate, so a flow belongs to the statement that writes its target.

Column names are taken from the object's column of the end's ``id`` where the answer lists it (2023+
answers spell relationship ends in upper case and the objects' columns as written).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..lineage_json.graph import DROPPED_TYPES, ROUTINE_TYPES, STORE_TYPES
from ..lineage_json.shapes import Payload, RawObject, RawRelationship
from ..protocol import FLOW_TYPES

#: Value kinds from weakest to strongest.
VALUE_KINDS = ("identity", "transformation", "aggregation")

Node = tuple[str, str]  # (object id, column name)


@dataclass(frozen=True)
class ColumnFlow:
    """``source -> target`` between two stores (or into a result set), of one statement."""

    source: Node
    target: Node
    kind: str  # fdd, fdr, frd or fddi
    value_kind: str = ""  # fdd only: identity, transformation, aggregation, or "" when unknown
    clause: str = ""  # indirect only: SQLFlow's clauseType, or "" when the answer gives none


@dataclass
class Statement:
    """One SQLFlow process (statement): its key, its name and its flows, in the order of the answer."""

    key: str
    name: str
    order: int
    flows: list[ColumnFlow] = field(default_factory=list)

    def targets(self) -> list[str]:
        return list(dict.fromkeys(flow.target[0] for flow in self.flows))

    def sources(self) -> list[str]:
        return list(dict.fromkeys(flow.source[0] for flow in self.flows))


@dataclass(frozen=True)
class _Hop:
    to: Node
    kind: str
    value_kind: str
    clause: str
    process: str


_Reach = tuple[Node, str, str, str, str]  # (end, kind, value kind, clause, process)


def statements_of(payload: Payload) -> tuple[dict[str, RawObject], list[Statement]]:
    """The objects by id and the statements with their joined column flows, in the answer's order."""
    objects = {obj.id: obj for obj in payload.objects}
    for rel in payload.relationships:  # an end whose object is not listed is a plain table
        for end in (rel.target, *rel.sources):
            if end.parent_id not in objects:
                objects[end.parent_id] = RawObject(end.parent_id, end.parent_name or end.parent_id, "table")
    return objects, _Joiner(objects, payload.relationships).statements()


def is_store(obj: RawObject) -> bool:
    return obj.type.casefold() in STORE_TYPES


class _Joiner:
    def __init__(self, objects: dict[str, RawObject], relationships: tuple[RawRelationship, ...]) -> None:
        self.objects = objects
        self.hops: dict[Node, list[_Hop]] = defaultdict(list)
        self.process_order: dict[str, int] = {}
        self.owner: dict[str, str] = {}  # an intermediate object -> the process of a hop into or out of it
        names = {(oid, column.id): column.name for oid, obj in objects.items() for column in obj.columns
                 if column.id and column.name}
        self.first_written: dict[str, int] = {}  # an object -> the index of the first relationship into it
        for index, rel in enumerate(relationships):
            if rel.type not in FLOW_TYPES or rel.effect_type.casefold() == "join":
                continue  # join relationships (2022 answers) move no data
            self.first_written.setdefault(rel.target.parent_id, index)
            to = (rel.target.parent_id, names.get((rel.target.parent_id, rel.target.id), rel.target.column))
            if rel.process_id:
                self.process_order.setdefault(rel.process_id, len(self.process_order))
                for end in (rel.target, *rel.sources):
                    if not is_store(objects[end.parent_id]):
                        self.owner.setdefault(end.parent_id, rel.process_id)
            for source in rel.sources:
                value_kind = source.value_kind or ("identity" if rel.dependency == "simple" else "")
                node = (source.parent_id, names.get((source.parent_id, source.id), source.column))
                self.hops[node].append(
                    _Hop(to, rel.type, value_kind if rel.type == "fdd" else "", source.clause_type, rel.process_id))
        has_out = {node[0] for node in self.hops}
        has_in = {hop.to[0] for hops in self.hops.values() for hop in hops}
        self.ends = {oid for oid, obj in objects.items() if is_store(obj)} | {
            oid for oid in has_in - has_out
            if objects[oid].type.casefold() not in DROPPED_TYPES | ROUTINE_TYPES}
        self._memo: dict[Node, set[_Reach]] = {}

    def statements(self) -> list[Statement]:
        by_key: dict[str, Statement] = {}
        seen: set[tuple[str, ColumnFlow]] = set()
        for node, hops in list(self.hops.items()):
            if node[0] not in self.ends:
                continue
            for hop in hops:
                for end, kind, value_kind, clause, process in sorted(self._from(hop)):
                    key = process or f"target:{end[0]}"
                    statement = by_key.get(key) or by_key.setdefault(key, self._statement(key, process, end[0]))
                    flow = ColumnFlow(node, end, kind, value_kind if kind == "fdd" else "",
                                      clause if kind != "fdd" else "")
                    if (key, flow) not in seen:
                        seen.add((key, flow))
                        statement.flows.append(flow)
        return sorted(by_key.values(), key=lambda s: s.order)

    def _statement(self, key: str, process: str, target: str) -> Statement:
        if process:
            obj = self.objects.get(process)
            name = obj.name if obj is not None else f"process {process}"
            return Statement(key, name, self.process_order[process])
        return Statement(key, self.objects[target].qualified_name, len(self.process_order) + self.first_written[target])

    def _from(self, hop: _Hop) -> set[_Reach]:
        if hop.to[0] in self.ends:
            return {(hop.to, hop.kind, hop.value_kind, hop.clause, hop.process)}
        return {(end, _joined(hop.kind, kind), _stronger(hop.value_kind, value_kind), hop.clause or clause,
                 process or hop.process or self.owner.get(hop.to[0], ""))
                for end, kind, value_kind, clause, process in self._reach(hop.to)}

    def _reach(self, node: Node) -> set[_Reach]:
        """The ends reached from the intermediate column ``node`` (memoised; cycles cut)."""
        if node in self._memo:
            return self._memo[node]
        self._memo[node] = found = set()
        for hop in self.hops.get(node, ()):
            found.update(self._from(hop))
        return found


def _joined(first: str, rest: str) -> str:
    return first if rest == "fdd" else rest


def _stronger(first: str, rest: str) -> str:
    """The stronger of two value kinds, or "" when either is unknown."""
    if not first or not rest:
        return ""
    return max(first, rest, key=lambda kind: VALUE_KINDS.index(kind) if kind in VALUE_KINDS else -1)

