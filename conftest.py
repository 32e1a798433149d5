"""The test tiers and the time each took, printed at the end of every run (CI shows them).

A tier is a folder of ``tests/`` (unit and real-server tiers, the browser tier) or the tutorials under
``notebooks/`` run by nbval. Times are wall-clock seconds of setup, call and teardown, summed.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

_TIMES: dict[str, float] = defaultdict(float)
_COUNTS: dict[str, int] = defaultdict(int)


def _tier(nodeid: str) -> str:
    parts = nodeid.split("::", 1)[0].split("/")
    if parts[0] == "notebooks":
        return "notebooks (nbval)"
    if parts[0] == "tests" and len(parts) > 2:
        return "notebooks (nbclient)" if parts[1] == "notebooks" else parts[1]
    return parts[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier(report.nodeid)
    _TIMES[tier] += report.duration
    if report.when == "call":
        _COUNTS[tier] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TIMES:
        return
    terminalreporter.write_sep("-", "time per test tier")
    for tier in sorted(_TIMES, key=lambda name: -_TIMES[name]):
        terminalreporter.write_line(f"{tier:<20} {_COUNTS[tier]:>5} tests {_TIMES[tier]:>8.1f} s")
