"""The lineage explorer: a widget to expand tables into columns, trace paths, search, zoom and read the SQL
behind an edge (``docs/explorer.md``). :class:`LineageExplorer` is imported on first use (it loads
anywidget); :mod:`.scene` and :mod:`.layout` are plain Python.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LineageExplorer"]


def __getattr__(name: str) -> Any:
    if name == "LineageExplorer":
        from .widget import LineageExplorer

        return LineageExplorer
    raise AttributeError(name)
