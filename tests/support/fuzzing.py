"""What the fuzz tier (``tests/fuzz``) shares: its budget, its hypothesis settings, and what an answer must be.

The budget is a fixed number of examples per test, so that CI's run is the same every time
(``derandomize=True``) and the tier takes about a minute on two cores. ``benchmarks/fuzz_long.py``
runs the same tests with a larger budget and a random seed: it sets ``SQLFLOW_FUZZ_SCALE`` (the budget's
multiplier) and ``SQLFLOW_FUZZ_RANDOM=1``. No example database is kept, so a run writes nothing into
the checkout; a failure prints the example that reproduces it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings

#: The budget's multiplier (``benchmarks/fuzz_long.py`` raises it); 1 in CI.
SCALE = float(os.environ.get("SQLFLOW_FUZZ_SCALE", "1"))
#: A random run (the long one) instead of the same examples every time (CI).
RANDOM = os.environ.get("SQLFLOW_FUZZ_RANDOM", "") == "1"
#: Longest wait for one answer of the local server: past it, the request "hangs" and the test fails.
REQUEST_TIMEOUT = 30.0


def budget(examples: int) -> int:
    """``examples`` scaled by ``SQLFLOW_FUZZ_SCALE``, at least 1."""
    return max(1, round(examples * SCALE))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings of a fuzz test: ``budget(examples)`` examples, reproducible unless the run is random."""
    return settings(
        max_examples=budget(examples),
        derandomize=not RANDOM,
        deadline=None,  # a deadline would be a timed assertion; hangs are caught by REQUEST_TIMEOUT
        database=None,  # nothing written into the checkout
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture],
        print_blob=RANDOM,
    )


def answer_problem(status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with an answer of the local server, or None if it is the documented success or error.

    Every answer that is not HTTP 200 with a success must be JSON ``{"code": <int>, "error": "<one line>"}``,
    and no answer may be a server error (HTTP 5xx, or ``code`` 500: the server or an analysis crashed).
    503 is the documented answer of a server that is shutting down, which a fuzzed server never is.
    """
    if not content_type.startswith("application/json"):
        if status == 200:
            return None  # an export (CSV, GraphML): its success is checked against docs/openapi.yaml
        return f"HTTP {status} answered {content_type or 'no content type'}, not the JSON error shape"
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return f"HTTP {status}: the body is not JSON: {body[:200]!r}"
    if not isinstance(answer, dict) or "code" not in answer:
        return f"HTTP {status}: the answer has no code: {body[:200]!r}"
    code = answer["code"]
    if status == 200 and code in (200, "200"):
        return None
    error = answer.get("error")
    if isinstance(code, bool) or not isinstance(code, int):
        return f"HTTP {status}: code {code!r} is not an integer: {body[:200]!r}"
    if not isinstance(error, str) or not error.strip():
        return f"HTTP {status}: code {code} comes without an error message: {body[:200]!r}"
    if "\n" in error or "\r" in error:
        return f"HTTP {status}: the error is not one line: {error[:300]!r}"
    if status >= 500 or code == 500:
        return f"HTTP {status}, code {code}: a server error: {error[:300]!r}"
    return None
