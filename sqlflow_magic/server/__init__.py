"""The local SQLFlow-compatible server that sqlflow-magic uses by default.

``ServerConfig`` is cheap to import; ``EmbeddedServer`` and ``create_app`` load starlette and
uvicorn only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlflow_magic.server.config import ServerConfig

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
