"""Functions the pool tests run in analysis processes (a light module: the process imports it by name)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path


class TwoArgumentError(Exception):
    """Pickles, but cannot be unpickled: its ``__init__`` needs two arguments and ``args`` holds one."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def kill_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(10)


def raise_unpicklable() -> None:
    raise TwoArgumentError("this", "that")


def unpicklable_result() -> object:
    return threading.Lock()


def noisy_pid() -> int:
    """Write to stdout every way an analysis might; the answer must still arrive intact."""
    print("a stray print")
    sys.stdout.write("x" * 100_000)
    sys.stdout.flush()
    os.write(1, b"\x00\x00\x00\x00\x00\x00\x00\x05raw")
    return os.getpid()


def package_file() -> str:
    import sqlflow_magic

    return str(sqlflow_magic.__file__)


def sigint_ignored() -> bool:
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (for the tests; a zombie nobody reaps counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def allocate(mebibytes: int) -> int:
    """Allocate (and touch) ``mebibytes`` MiB at once; return how many MiB were allocated."""
    block = bytearray(mebibytes * 1024 * 1024)
    return len(block) // (1024 * 1024)
