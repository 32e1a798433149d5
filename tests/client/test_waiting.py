"""The waiting loop: growing intervals, a time limit, Ctrl-C; with a fake clock, no real sleeping."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import Job
from sqlflow_magic.client.waiting import PollSchedule, WaitInterruptedError, WaitTimeoutError, wait_for_job

pytestmark = pytest.mark.unit

JOB_ID = "c359aef4bd9641d697732422debd8055"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def statuses(*names):
    jobs = iter(Job(JOB_ID, status=name) for name in names)
    return lambda: next(jobs)


def test_intervals_grow_from_half_a_second_to_five():
    intervals = PollSchedule().intervals()
    seen = [next(intervals) for _ in range(10)]
    assert seen[0] == 0.5 and seen[-1] == 5.0 and seen == sorted(seen)


def test_waits_through_several_polls_until_final():
    fake, updates = FakeTime(), []
    job = wait_for_job(JOB_ID, statuses("create", "process", "process", "process", "success"), max_wait=60,
                       on_update=lambda j, t: updates.append((j.status, t)), sleep=fake.sleep, clock=fake.clock)
    assert job.status == "success"
    assert [s for s, _ in updates] == ["create", "process", "process", "process", "success"]
    assert fake.sleeps == pytest.approx([0.5, 0.8, 1.28, 2.048])


def test_gives_up_at_the_time_limit_and_says_how_to_resume():
    fake = FakeTime()
    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_job(JOB_ID, lambda: Job(JOB_ID, status="process"), max_wait=10, sleep=fake.sleep, clock=fake.clock)
    assert fake.now <= 10
    assert f"%sqlflow_status {JOB_ID}" in str(caught.value) and "still process" in str(caught.value)


def test_ctrl_c_stops_the_waiting_with_one_line():
    fake = FakeTime()
    calls = iter([Job(JOB_ID, status="process")])

    def fetch():
        try:
            return next(calls)
        except StopIteration:
            raise KeyboardInterrupt from None

    with pytest.raises(WaitInterruptedError) as caught:
        wait_for_job(JOB_ID, fetch, max_wait=60, sleep=fake.sleep, clock=fake.clock)
    assert caught.value._render_traceback_() == [
        f"WaitInterruptedError: stopped waiting for job {JOB_ID}; the job itself goes on. "
        f"Resume with %sqlflow_status {JOB_ID} --wait"]


def test_an_error_while_polling_is_not_swallowed():
    from sqlflow_magic.client.errors import ServerUnreachableError

    def fetch():
        raise ServerUnreachableError("down")

    with pytest.raises(ServerUnreachableError):
        wait_for_job(JOB_ID, fetch, max_wait=60, sleep=lambda s: None)
