"""Tasks the fed-task tests run in analysis processes (a light module: the process imports it by name)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sqlflow_magic.server.pool_child import task_inputs


def inputs_and_pid(tag: str) -> tuple[str, list[object], int]:
    """Every input fed to this task, after ``tag``, and the process id."""
    return tag, list(task_inputs()), os.getpid()


def mark_each_input(folder: str) -> list[object]:
    """Every input, each marked on arrival by a file named after it in ``folder`` (the feeder waits for it)."""
    seen = []
    for item in task_inputs():
        seen.append(item)
        Path(folder, str(item)).touch()
    return seen


def first_input() -> object:
    """The first input only: the task returns before the others arrive."""
    return next(iter(task_inputs()))


def die_at_first_input() -> None:
    for _ in task_inputs():
        os.kill(os.getpid(), signal.SIGKILL)
