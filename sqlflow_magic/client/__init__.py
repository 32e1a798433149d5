"""The SQLFlow client: plain Python over httpx, with no IPython and no server in it.

``SQLFlowClient(ClientSettings(...))`` sends requests (:mod:`.transport`), reads the answers
(:mod:`.answers`) into typed values (:mod:`.models`) or typed errors (:mod:`.errors`), and keeps
secrets in :class:`~.secrets.Secret`, which never shows its value.

``SQLFlowClient`` is imported on first use: the magics use the client's errors and models from
``%load_ext`` on, and httpx (a third of the load time) comes with the first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sqlflow_client import SQLFlowClient

__all__ = ["SQLFlowClient"]


def __getattr__(name: str) -> Any:  # PEP 562: the module's lazy attribute
    if name == "SQLFlowClient":
        from .sqlflow_client import SQLFlowClient

        return SQLFlowClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
