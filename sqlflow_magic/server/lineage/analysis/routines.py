"""The ``procedure``, ``function`` and ``trigger`` objects of a job, as SQLFlow emits them.

SQLFlow lists each routine once among the objects, at the position of its name, and names it in
the ``procedureName`` of every process of its body (``batchQueries`` for a statement outside any
routine). A PL/SQL package's procedures and functions are named ``package.member``.
"""

from __future__ import annotations

from sqlflow_magic.server.lineage.analysis.registry import Registry
from sqlflow_magic.server.lineage.input.routines import Routine
from sqlflow_magic.server.lineage.input.scanning import LineIndex
from sqlflow_magic.server.lineage.model import DbObject


class RoutineObjects:
    """Registers each routine of a job once, when the first statement of its body is analysed."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._seen: dict[tuple[str, int], DbObject] = {}

    def enter(self, routine: Routine | None, file_name: str, lines: LineIndex) -> str | None:
        """The ``procedureName`` of a statement of ``routine``'s body (``None`` outside routines)."""
        if routine is None:
            return None
        key = (file_name, routine.start)
        if key not in self._seen:
            parts = routine.name.split(".")
            schema = parts[-2] if len(parts) > 1 else None
            database = parts[-3] if len(parts) > 2 else None
            registry = self._registry
            obj = DbObject(registry.new_id(), parts[-1], routine.kind, database, schema, written=routine.name)
            obj.add_span(lines.span(routine.start, routine.end))
            registry.objects.append(obj)
            self._seen[key] = obj
        return routine.name
