"""The client factory of the magics: one client per configuration, and the embedded local server.

Owned by one :class:`~sqlflow_magic.magic.magics.SQLFlowMagics` instance and closed when the extension
is unloaded, so there is no process-wide state.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..client.errors import ServerUnreachableError
from ..client.secrets import display_url
from ..display.render import ServerInfo
from .effective_settings import EffectiveSettings

if TYPE_CHECKING:
    import httpx

    from ..client.settings import ClientSettings
    from ..client.sqlflow_client import SQLFlowClient
    from ..server.runner import EmbeddedServer


class Connections:
    """Hands out :class:`SQLFlowClient` objects, one per distinct :class:`ClientSettings`.

    ``transport`` replaces the network for every client (tests of faults a real server can't make).
    """

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._transport = transport
        self._clients: dict[ClientSettings, SQLFlowClient] = {}
        self._server: EmbeddedServer | None = None
        self._server_db: Path | None = None
        self._lock = threading.Lock()

    def client(self, config: EffectiveSettings) -> SQLFlowClient:
        """The client for ``config``, starting the embedded local server first when it is the target."""
        from ..client.sqlflow_client import SQLFlowClient  # httpx loads with the first client, not with %load_ext

        if config.problems:  # before an embedded server is started for nothing
            raise config.problems[0]
        embedded_url = self.embedded_server_url(config) if config.uses_embedded_server else None
        settings = config.client_settings(embedded_url)
        with self._lock:
            if settings not in self._clients:
                self._clients[settings] = SQLFlowClient(settings, transport=self._transport)
            return self._clients[settings]

    def server_info(self, settings: ClientSettings) -> ServerInfo:
        return ServerInfo(display_url(settings.base_url), settings.is_embedded)

    def embedded_server_url(self, config: EffectiveSettings) -> str:
        """Start the embedded server (once; again if its database path changed) and return its URL."""
        from ..server.config import ServerConfig, default_db_path
        from ..server.runner import EmbeddedServer

        configured = config.local_server_db.value
        db_path = Path(str(configured)).expanduser() if configured else default_db_path()
        with self._lock:
            if self._server is not None and (self._server_db != db_path or not self._server.running):
                self._server.stop()
                self._server = None
            if self._server is None:
                server = EmbeddedServer(ServerConfig(db_path=db_path))
                try:
                    server.start()
                except Exception as exc:
                    raise ServerUnreachableError(
                        f"the embedded local SQLFlow server could not start ({type(exc).__name__}: {exc})",
                        hint="Check that its database folder is writable, or set SQLFLOW_URL to a SQLFlow server",
                    ) from None
                self._server, self._server_db = server, db_path
            return self._server.url

    def running_embedded_url(self) -> str | None:
        """The embedded server's URL if it is running, without starting it."""
        server = self._server
        return server.url if server is not None and server.running else None

    def close(self) -> None:
        """Close every client and stop the embedded server."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            if self._server is not None:
                self._server.stop()
                self._server = None
