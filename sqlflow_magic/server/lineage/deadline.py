"""A cooperative deadline: long loops call :meth:`Deadline.check` and stop with :class:`DeadlineExceeded`."""

from __future__ import annotations

import time


class DeadlineExceeded(Exception):
    """The analysis ran past its deadline."""


class Deadline:
    """Wraps an absolute ``time.monotonic()`` value (``None``: no limit)."""

    __slots__ = ("at",)

    def __init__(self, at: float | None) -> None:
        self.at = at

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` when the deadline has passed."""
        if self.at is not None and time.monotonic() > self.at:
            raise DeadlineExceeded
