"""What every endpoint of the local server needs, in one place: :class:`ServerContext`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request

from sqlflow_magic.server.access import Access
from sqlflow_magic.server.config import ServerConfig
from sqlflow_magic.server.jobs import JobWorker
from sqlflow_magic.server.store import JobStore
from sqlflow_magic.server.upload_slots import UploadSlots


@dataclass
class ServerContext:
    """The settings, the job store, who may call (users, tokens), the job worker and the upload slots of one app.

    ``stopping`` is set when the HTTP server begins to shut down, before it waits for open requests:
    the app's lifespan then closes the worker at once, so a request waiting for an analysis is
    answered at once (see ``docs/server.md``).
    """

    config: ServerConfig
    store: JobStore
    access: Access
    worker: JobWorker
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    uploads: UploadSlots = field(default_factory=UploadSlots)


def context_of(request: Request) -> ServerContext:
    """Return the :class:`ServerContext` of the app serving ``request``."""
    context: ServerContext = request.app.state.context
    return context
