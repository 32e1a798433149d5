"""The cap on concurrent uploads, and closing what a request's reading opened once it is answered.

An upload (a request to an endpoint that takes files, whose body is larger than a file part kept in
memory or of unknown length) holds one of ``max_concurrent_uploads`` slots from before its body is read
until its answer starts. Past the cap, the request is answered at once, its body unread: 503
``{"code": 503, "error": ...}`` with ``Retry-After``. Everything here runs on the event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sqlflow_magic.server.responses import UNAVAILABLE, Rejection

#: Seconds a refused upload is told to wait before it tries again.
RETRY_AFTER_SECONDS = 2
_RESOURCES = "sqlflow_magic.request_resources"


class UploadSlots:
    """How many uploads are being received now (one counter per app)."""

    def __init__(self) -> None:
        self.active = 0

    @contextlib.contextmanager
    def slot(self, limit: int) -> Iterator[None]:
        """Hold a slot while the block runs; raise :class:`Rejection` (503) when ``limit`` are held already."""
        if self.active >= limit:
            raise Rejection(
                UNAVAILABLE,
                f"too many uploads at once: the server receives at most {limit} at a time "
                f"(max_concurrent_uploads); send this one again in a few seconds",
                503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1


def request_resources(request: Request) -> contextlib.ExitStack:
    """What the request holds until it is answered (spooled files, an upload slot).

    :class:`ClosesRequestResources` closes it."""
    stack: contextlib.ExitStack | None = request.scope.get(_RESOURCES)
    if stack is None:
        raise RuntimeError("the app must run ClosesRequestResources to read request bodies")
    return stack


class ClosesRequestResources:
    """ASGI middleware: a request's :func:`request_resources` are closed as its answer starts (the endpoint is done
    with them then, and a client that has its answer finds them gone), or when the request fails."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                stack.close()
            await send(message)

        with contextlib.ExitStack() as stack:
            scope[_RESOURCES] = stack
            await self.app(scope, receive, send_after_closing)
