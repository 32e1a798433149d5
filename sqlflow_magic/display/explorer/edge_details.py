"""What the lineage says about one column edge: clause type, dependency, where it is written, its statement.

A column edge of a :class:`~sqlflow_magic.lineage_json.LineageGraph` is one relationship of the answer,
or, when SQL intermediates are joined, a chain of them (``A.x -> INSERT-SELECT-1.x -> B.y``). Its details
come from the hops of that chain: the clause type from the first hop's source (``where``, ``joinCondition``,
...), the dependency and the statement from the last hop (the one that writes the target), the positions
from the first hop's source and the last hop's target. The statement is the span of the last hop's
``process`` object when the answer lists processes with coordinates; else the line of a position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ...lineage_json import ColumnEdge
from ...lineage_json.shapes import Payload, Position, RawEnd, RawRelationship
from ...protocol import FLOW_TYPES

#: Positions listed per edge, at most.
MAX_WHERE = 4

Node = tuple[str, str]  # (object id, column name)
Hop = tuple[RawRelationship, RawEnd]  # a relationship and one of its sources


@dataclass(frozen=True)
class Statement:
    """Where a statement is: the file's ``hashCode``, its first line and, when known, its last line."""

    file_hash: str
    first_line: int
    last_line: int | None

    @property
    def key(self) -> str:
        return f"{self.file_hash}:{self.first_line}-{self.last_line or ''}"


@dataclass(frozen=True)
class EdgeDetails:
    clause_type: str | None
    dependency: str | None
    where: tuple[Position, ...]
    statement: Statement | None


def _node(end: RawEnd) -> Node:
    return end.parent_id or f"name:{end.parent_name or '?'}", end.column


class DetailIndex:
    """The answer's flow relationships indexed by their ends, for :meth:`details` of any column edge."""

    def __init__(self, payload: Payload) -> None:
        self.out: dict[Node, list[Hop]] = defaultdict(list)
        self.into: dict[Node, list[Hop]] = defaultdict(list)
        for rel in payload.relationships:
            if rel.type in FLOW_TYPES:
                for source in rel.sources:
                    self.out[_node(source)].append((rel, source))
                    self.into[_node(rel.target)].append((rel, source))
        self.processes = {obj.id: obj.coordinates for obj in payload.objects
                          if obj.type.casefold() == "process" and obj.coordinates}
        self._cache: dict[tuple[ColumnEdge, frozenset[str]], EdgeDetails] = {}

    def details(self, edge: ColumnEdge, boxes: frozenset[str]) -> EdgeDetails:
        """The details of ``edge``; ``boxes`` are the graph's box ids (the chain runs through the others)."""
        key = (edge, boxes)
        if key not in self._cache:
            self._cache[key] = self._details(edge, boxes)
        return self._cache[key]

    def _details(self, edge: ColumnEdge, boxes: frozenset[str]) -> EdgeDetails:
        start, end = (edge.source_table, edge.source_column), (edge.target_table, edge.target_column)
        first = [(rel, src) for rel, src in self.out.get(start, ()) if self._leads_to(_node(rel.target), end, boxes)]
        last = [(rel, src) for rel, src in self.into.get(end, ()) if self._comes_from(_node(src), start, boxes)]
        kind = [hop for hop in last if hop[0].type == edge.relation_type] or last
        clause = next((src.clause_type for _rel, src in first if src.clause_type), None)
        dependency = next((rel.dependency for rel, _src in kind if rel.dependency), None)
        points = [p for _rel, src in first for p in src.coordinates[::2]]
        points += [p for rel, _src in kind for p in rel.target.coordinates[::2]]
        where = tuple(dict.fromkeys(points))[:MAX_WHERE]
        statement = next((self._span(rel.process_id) for rel, _src in kind if rel.process_id in self.processes),
                         None)
        if statement is None and where:
            statement = Statement(where[-1].file_hash, where[-1].line, None)
        return EdgeDetails(clause, dependency, where, statement)

    def _span(self, process_id: str) -> Statement:
        points = self.processes[process_id]
        return Statement(points[0].file_hash, points[0].line, points[1].line if len(points) > 1 else None)

    def _leads_to(self, node: Node, end: Node, boxes: frozenset[str]) -> bool:
        return self._reaches(node, end, boxes, self.out, lambda hop: _node(hop[0].target))

    def _comes_from(self, node: Node, start: Node, boxes: frozenset[str]) -> bool:
        return self._reaches(node, start, boxes, self.into, lambda hop: _node(hop[1]))

    @staticmethod
    def _reaches(node: Node, goal: Node, boxes: frozenset[str], index: dict[Node, list[Hop]],
                 step: Callable[[Hop], Node]) -> bool:
        """Whether ``goal`` is ``node`` or is reached from it through nodes of intermediates only."""
        seen, todo = {node}, [node]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current[0] in boxes:  # a box ends a chain
                continue
            for hop in index.get(current, ()):
                nxt = step(hop)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False
