"""What every run does, whatever tests it selects. The plugins live in ``tests/support/``:

* ``tiers``: every test has exactly one tier marker (unit, server, notebook, browser, slow); the run
  ends with the time each tier took (CI shows them);
* ``checkout_guard``: a run that adds or changes a file in the checkout fails;
* ``shell``: the IPython shell fixtures (``shell``, ``alice_shell``).

And, when nbval is installed (the ``test`` extra installs it), a plain ``python3 -m pytest`` also checks
the tutorials' saved outputs (``notebooks/*.ipynb``), as ``--nbval --nbval-current-env
--nbval-sanitize-with notebooks/sanitize.cfg`` would. Without nbval (the ``test-fast`` extra, for the
unit and server tiers) the notebooks are not collected and nothing else changes.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.support.tiers", "tests.support.checkout_guard", "tests.support.shell"]


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("nbval") and not (config.option.nbval or config.option.nbval_lax):
        config.option.nbval = True
        config.option.nbval_current_env = True
        config.option.nbval_sanitize_with = str(config.rootpath / "notebooks" / "sanitize.cfg")
