"""The local SQLFlow-compatible server that sqlflow-magic uses by default.

``ServerConfig`` is cheap to import; ``EmbeddedServer`` and ``create_app`` load starlette and
uvicorn only when first used.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlflow_magic.server.config import ServerConfig

# A library's records go where the application sends them. Inside a notebook kernel nobody has set up
# logging, and Python would print warnings into the cell (a refused token, say) beside the magic's own
# one-line error; `sqlflow-magic serve` sends them to its console (docs/server.md, "Logs").
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from sqlflow_magic.server.app import create_app
    from sqlflow_magic.server.runner import EmbeddedServer, ServerStartError

__all__ = ["EmbeddedServer", "ServerConfig", "ServerStartError", "create_app"]

_LAZY = {
    "EmbeddedServer": "sqlflow_magic.server.runner",
    "ServerStartError": "sqlflow_magic.server.runner",
    "create_app": "sqlflow_magic.server.app",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
