"""The OpenLineage side of the tests: the loopback receiver, a transport that is down, clients of the
OpenLineage library's own HTTP transport, and a few plain events.

The receiver itself is :class:`sqlflow_magic.openlineage.receiver.LineageReceiver` (the sixth tutorial
starts one too): ``POST /api/v1/lineage`` as Marquez answers it, every event read back into the client's
models, warnings for what does not fit the spec, ``refuse()`` on demand.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlflow_magic.openlineage.receiver import LineageReceiver, closed_port_url

__all__ = ["LineageReceiver", "closed_port_url", "http_client", "isolated_openlineage_env", "plain_events"]

#: The producer of the tests' own events (build_events' events name sqlflow-magic).
TEST_PRODUCER = "https://github.com/sqlflow-magic/sqlflow-magic/tests"


def http_client(url: str, *, api_key: str | None = None, retries: int = 0, **transport: Any) -> Any:
    """``OpenLineageClient`` with the library's own HTTP transport to ``url``: what ``openlineage.yml``
    would say, given as the client's ``config``. No retries unless asked (a down transport fails at once)."""
    from openlineage.client import OpenLineageClient

    config: dict[str, Any] = {"type": "http", "url": url, "retry": {"total": retries, "backoff_factor": 0},
                              **transport}
    if api_key is not None:
        config["auth"] = {"type": "api_key", "apiKey": api_key}
    return OpenLineageClient(config={"transport": config})


def plain_events(count: int, *, namespace: str = "tests") -> list[Any]:
    """``count`` COMPLETE run events of jobs ``job-1`` ... (no datasets): for the transport's tests."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    return [RunEvent(eventType=RunState.COMPLETE, eventTime="2026-12-07T03:00:00.000Z",
                     run=Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TEST_PRODUCER}/{n}"))),
                     job=Job(namespace=namespace, name=f"job-{n}"), producer=TEST_PRODUCER)
            for n in range(1, count + 1)]


@contextmanager
def isolated_openlineage_env(tmp_path: Any) -> Iterator[None]:
    """No OpenLineage configuration of the machine's (``OPENLINEAGE_*`` variables, ``openlineage.yml`` in
    the working folder or ``~/.openlineage``), and the variables restored afterwards: the client writes
    ``OPENLINEAGE__TRANSPORT__...`` variables of its own when it reads ``OPENLINEAGE_URL``."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("OPENLINEAGE")}
    home, cwd = os.environ.get("HOME"), os.getcwd()
    for name in saved:
        del os.environ[name]
    os.environ["HOME"] = str(tmp_path)
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.chdir(cwd)
        for name in [name for name in os.environ if name.startswith("OPENLINEAGE")]:
            del os.environ[name]
        os.environ.update(saved)
        if home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = home
