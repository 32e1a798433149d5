"""The SQLFlow client: plain Python over httpx, with no IPython and no server in it.

``SQLFlowClient(ClientSettings(...))`` sends requests (:mod:`.transport`), reads the answers
(:mod:`.answers`) into typed values (:mod:`.models`) or typed errors (:mod:`.errors`), and keeps
secrets in :class:`~.secrets.Secret`, which never shows its value.
"""

from .sqlflow_client import SQLFlowClient

__all__ = ["SQLFlowClient"]
