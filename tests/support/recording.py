"""A transport that sends for real and remembers every request, so tests can see what went over the wire."""

from __future__ import annotations

import httpx


class RecordingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self._real = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self._real.handle_request(request)

    def paths(self) -> list[str]:
        return [r.url.path.rsplit("/", 1)[-1] for r in self.requests]

    def close(self) -> None:
        self._real.close()
