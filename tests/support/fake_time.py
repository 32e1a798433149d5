"""A clock and a sleep that only count: waiting schedules tested without waiting."""

from __future__ import annotations


class FakeTime:
    """``clock()`` reads ``now``; ``sleep(s)`` records ``s`` and moves ``now`` on by it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
