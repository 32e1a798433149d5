"""Running the local server in a background thread of the current process (e.g. a Jupyter kernel)."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from sqlflow_magic.server.app import create_app
from sqlflow_magic.server.config import ServerConfig, UsersFileError
from sqlflow_magic.server.signing_key import SigningKeyError


class ServerStartError(RuntimeError):
    """The embedded server did not come up (port taken, database unusable, timeout)."""


#: Seconds uvicorn waits for open requests at shutdown before it cancels them.
GRACEFUL_SHUTDOWN_SECONDS = 5


class AppServer(uvicorn.Server):
    """A uvicorn server for :func:`create_app` that tells the app when it begins to shut down.

    uvicorn waits for open requests (up to ``GRACEFUL_SHUTDOWN_SECONDS``) before it runs the app's
    lifespan shutdown, and a request waiting for an analysis would hold it that long. Setting the
    app's ``context.stopping`` first lets the lifespan close the job worker at once, which answers
    such a request at once. The app's lifespan stays the only owner of that shutdown.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Tell the app that the server is stopping, then shut down as uvicorn does."""
        app = self.config.app
        if isinstance(app, Starlette):
            app.state.context.stopping.set()
        await super().shutdown(sockets=sockets)


def uvicorn_config(app: Starlette, log_config: dict[str, Any] | None = None) -> uvicorn.Config:
    """uvicorn settings of the local server: quiet (warnings only, no access log), bounded shutdown.

    ``log_config`` None leaves logging to the host process (a notebook kernel); a terminal
    server passes uvicorn's own ``LOGGING_CONFIG``.
    """
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        log_config=log_config,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


class _ThreadServer(AppServer):
    """A uvicorn server that never touches signal handlers: they belong to the host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


#: uvicorn's own default backlog (asyncio listens again with it when it starts serving).
_BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind a TCP socket for uvicorn to serve on (``port`` 0 picks a free port), already listening.

    Listening before uvicorn starts makes the ``serve`` banner true when it is printed: a client that
    connects at once waits in the backlog until the server accepts, rather than being refused.

    The protocol must be given explicitly: asyncio sets TCP_NODELAY on accepted connections only
    when the listening socket says ``IPPROTO_TCP`` (``socket.create_server`` leaves it 0), and
    without TCP_NODELAY every keep-alive request waits 40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


class EmbeddedServer:
    """The local SQLFlow-compatible server, served by uvicorn on a daemon thread.

    ``start()`` returns once the server answers; ``url`` is then its base URL, ending in
    ``/gspLive_backend``. Use it as a context manager or call ``stop()``. Nothing is printed
    in normal operation; uvicorn logs only warnings and errors, with no access log.
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._app: Starlette | None = None
        self._error: BaseException | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (known once ``start()`` has bound it)."""
        if self._port is None:
            raise RuntimeError("the server has not been started")
        return self._port

    @property
    def host(self) -> str:
        """The address clients connect to (loopback when the server listens on every interface)."""
        return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.config.host, self.config.host)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, without the API prefix."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL a SQLFlow client is configured with: ``http://HOST:PORT/gspLive_backend``."""
        return f"{self.base_url}/gspLive_backend"

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> EmbeddedServer:
        """Start serving and wait until the server answers; raise :class:`ServerStartError` on failure."""
        if self.running:
            return self
        try:
            app = create_app(self.config)
        except (UsersFileError, SigningKeyError) as exc:
            raise ServerStartError(str(exc)) from exc
        except Exception as exc:
            raise ServerStartError(f"cannot open the job database {self.config.db_path}: {exc}") from exc
        try:
            sock = listening_socket(self.config.host, self.config.port)
        except OSError as exc:
            app.state.context.store.close()
            raise ServerStartError(f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror}") from exc
        self._socket = sock
        self._app = app
        self._port = sock.getsockname()[1]
        self._server = _ThreadServer(uvicorn_config(app))
        self._error = None
        self._thread = threading.Thread(target=self._serve, name="sqlflow-magic-server", daemon=True)
        self._thread.start()
        self._wait_until_answering(timeout)
        return self

    def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                self.stop()
                raise ServerStartError(f"the server stopped while starting: {self._error!r}")
            if self._server is not None and self._server.started and self._answers():
                return
            time.sleep(0.02)
        url = self.url
        self.stop()
        raise ServerStartError(f"the server did not answer on {url} within {timeout:g} s")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            connection.request("POST", "/gspLive_backend/user/generateToken")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread; the app's lifespan ends the analyses and the job database then.

        Safe to call twice. A server that is never stopped ends with its process: the thread is a
        daemon, and the analysis processes end when their pipes close (see ``docs/server.md``).
        """
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        if self._app is not None:  # done by the app's lifespan already, unless uvicorn had to be forced to exit
            self._app.state.context.store.close()
        self._server = None
        self._thread = None
        self._socket = None
        self._app = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
