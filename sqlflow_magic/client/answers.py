"""Turn SQLFlow's answers into data or typed errors: the HTTP status and the body's ``code`` both count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ..lineage_json.shapes import code_of
from . import errors
from .secrets import mask_identifier

OK_CODES = frozenset({200, 203})


def parse_json(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """The JSON object of ``response``, or :class:`BadResponseError` naming what came instead."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type").split(";")[0] or "an empty body"
        if not response.content:
            kind = "an empty body"
        elif "html" in kind:
            kind = "an HTML page (a proxy or web server error page?)"
        raise errors.BadResponseError(
            f"{what}: the server answered HTTP {response.status_code} with {kind} instead of SQLFlow's JSON"
        ) from None
    if not isinstance(body, dict):
        raise errors.BadResponseError(f"{what}: the server answered JSON that is not an object")
    return body


def check_answer(
    response: httpx.Response, body: dict[str, Any], *, what: str, scrub: Callable[[str], str],
    user_id: str | None = None,
) -> dict[str, Any]:
    """Return ``body`` when both the HTTP status and its ``code`` say success, else raise a typed error.

    The server's message is quoted through ``scrub`` (a :class:`~.scrubbing.Scrubber`): it may echo a secret.
    """
    code = code_of(body)
    if response.status_code < 400 and code in OK_CODES:
        return body
    if response.status_code == 404:
        raise errors.EndpointNotFoundError(
            f"{what}: the server has no endpoint {response.request.url.path}", code=404)
    if code is None or code in OK_CODES:
        code = response.status_code if response.status_code >= 400 else None
    message = scrub(str(body.get("error") or body.get("message") or body.get("msg") or "no error message"))
    if user_id and len(user_id) > 2:  # shown shortened, as in the panels
        message = message.replace(user_id, mask_identifier(user_id))
    error = error_for_code(code, f"{what}: SQLFlow answered code {code}: {message}")
    delay = retry_after_seconds(response)
    if isinstance(error, errors.RateLimitedError) and delay is not None:
        error.hint = f"The server asks to wait {delay:g} s (Retry-After) before the next call"
    raise error


def error_for_code(code: int | None, message: str) -> errors.APIError:
    """The exception class that fits a SQLFlow error code."""
    if code == 401:
        return errors.AuthenticationError(message, code=code)
    if code == 403:
        return errors.TokenExpiredError(message, code=code)
    if code == 404:
        return errors.JobNotFoundError(message, code=code)
    if code == 409:
        return errors.JobNotReadyError(message, code=code)
    if code == 410:
        return errors.IncompatibleJobError(message, code=code)
    if code is not None and 411 <= code <= 417:
        return errors.LicenseError(message, code=code)
    if code == 426:
        return errors.PremiumAccountError(message, code=code)
    if code == 429:
        return errors.RateLimitedError(message, code=code)
    if code is not None and 400 <= code < 500:
        return errors.RequestRejectedError(message, code=code)
    return errors.ServerError(message, code=code)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` delay in seconds, when the header holds a number."""
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
