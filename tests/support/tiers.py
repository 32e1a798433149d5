"""A pytest plugin: every test has exactly one tier, the tiers run fastest first, and the run ends with the
time each tier took.

The tiers (registered in pyproject.toml, so ``--strict-markers`` refuses a misspelt one):

* ``unit``: one process, no server, no kernel; seconds for the whole tier;
* ``server``: real servers on loopback (the embedded SQLFlow server, the fault server, the replay server,
  ``sqlflow-magic serve``) and the server's analysis processes;
* ``notebook``: Jupyter kernels (nbclient runs, and nbval's checks of ``notebooks/*.ipynb``);
* ``browser``: headless Chromium driving JupyterLab and Notebook;
* ``slow``: the load test and the like;
* ``fuzz``: property-based and schema-driven fuzzing (hypothesis, schemathesis) of the magic line and of
  ``sqlflow-magic serve``, with a fixed budget of examples (about a minute).

A test module names its tier in its first lines, ``pytestmark = pytest.mark.<tier>``; nbval's notebook
cells cannot, so they are given ``notebook`` here. A test with no tier or with two stops the run
before anything runs. A tier's time is the sum of its tests' setup, call and teardown, in seconds: the
times of one run, not of a second one.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

TIERS = ("unit", "server", "notebook", "browser", "slow", "fuzz")
#: The order the tiers run in: the fastest first, so that a broken basic fails in seconds; the browser tier,
#: the one that keeps both cores busy, last (in CI the extra Pythons' runs overlap the tiers that mostly wait).
RUN_ORDER = ("unit", "server", "notebook", "slow", "fuzz", "browser")

_TIER_OF: dict[str, str] = {}
_SECONDS: dict[str, float] = defaultdict(float)
_COUNTS: dict[str, int] = defaultdict(int)


def tiers_of(item: pytest.Item) -> list[str]:
    """The tier markers of ``item`` (its module's, its class's and its own), each named once."""
    return sorted({mark.name for mark in item.iter_markers() if mark.name in TIERS})


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wrong = []
    for item in items:
        if item.path.suffix == ".ipynb":  # a cell checked by nbval
            item.add_marker(pytest.mark.notebook)
        tiers = tiers_of(item)
        if len(tiers) == 1:
            _TIER_OF[item.nodeid] = tiers[0]
        else:
            wrong.append(f"  {item.nodeid}: {', '.join(tiers) or 'no tier'}")
    if wrong:
        raise pytest.UsageError(
            f"every test needs exactly one tier marker ({', '.join(TIERS)}); put "
            "`pytestmark = pytest.mark.<tier>` at the top of its module (docs/contributing.md):\n" + "\n".join(wrong))
    # Run the tiers in RUN_ORDER; within a tier the tests keep their order (a stable sort). pytest groups the
    # tests by their fixtures' parameters after this hook: those groups lie within one tier.
    items.sort(key=lambda item: RUN_ORDER.index(_TIER_OF[item.nodeid]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _TIER_OF.get(report.nodeid, "?")
    _SECONDS[tier] += report.duration
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _COUNTS[tier] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _SECONDS:
        return
    terminalreporter.write_sep("-", "time per test tier")
    for tier in sorted(_SECONDS, key=lambda name: -_SECONDS[name]):
        terminalreporter.write_line(f"{tier:<10} {_COUNTS[tier]:>5} tests {_SECONDS[tier]:>8.1f} s")
