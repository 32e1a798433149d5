"""The text of each statement of a one-file job, for the ``sql`` facet: cut from the SQL by SQLFlow's coordinates.

>>> build_events(answer, ..., statements=statement_texts(answer, cell_sql))

Each process (statement) of a SQLFlow answer carries the coordinates of its statement, a start and an
end (``x`` the line, ``y`` the column, both from 1; the end is the first character after the statement).
:func:`statement_texts` maps each process id to the SQL between them, so it fits a job made of one
text, such as a notebook cell: the coordinates do not say which file of a job with several they are
in. A process whose coordinates are missing or fall outside the text is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def statement_texts(lineage: Any, sql: str) -> dict[str, str]:
    """Process id -> its statement's text (stripped), for the processes of ``lineage`` found in ``sql``."""
    if isinstance(lineage, str | bytes):
        lineage = json.loads(lineage)
    starts = _line_starts(sql)
    texts: dict[str, str] = {}
    for process in _processes(lineage):
        span = _span(process.get("coordinates"), starts, len(sql))
        if span is not None and str(process.get("id") or ""):
            text = sql[span[0]:span[1]].strip()
            if text:
                texts.setdefault(str(process["id"]), text)
    return texts


def _processes(node: Any, under_processes: bool = False) -> Iterator[dict[str, Any]]:
    """Every process object, wherever the answer's generation puts it (``dbobjs`` or a ``processes`` list)."""
    if isinstance(node, dict):
        if under_processes or str(node.get("type") or "").casefold() == "process":
            yield node
        for key, value in node.items():
            if isinstance(value, dict | list) and key not in ("columns", "coordinates", "relationships"):
                yield from _processes(value, key == "processes")
    elif isinstance(node, list):
        for item in node:
            yield from _processes(item, under_processes)


def _line_starts(sql: str) -> list[int]:
    starts, offset = [0], 0
    for line in sql.splitlines(keepends=True):
        offset += len(line)
        starts.append(offset)
    return starts


def _span(coordinates: Any, starts: list[int], length: int) -> tuple[int, int] | None:
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None
    try:
        (x1, y1), (x2, y2) = ((int(c["x"]), int(c["y"])) for c in coordinates[:2])
    except (KeyError, TypeError, ValueError):
        return None
    if not (1 <= x1 < len(starts) and 1 <= x2 < len(starts)) or y1 < 1 or y2 < 1:
        return None
    start, end = starts[x1 - 1] + y1 - 1, min(starts[x2 - 1] + y2 - 1, length)
    return (start, end) if start < end else None
