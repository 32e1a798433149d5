"""The waiting loop: growing intervals (fast at first on this machine), Retry-After, a time limit, Ctrl-C;
with a fake clock, no real sleeping."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import Job
from sqlflow_magic.client.waiting import (
    LOCAL_POLLS,
    REMOTE_POLLS,
    PollSchedule,
    WaitInterruptedError,
    WaitTimeoutError,
    poll_schedule,
    wait_for_job,
)
from tests.support.fake_time import FakeTime

pytestmark = pytest.mark.unit

JOB_ID = "c359aef4bd9641d697732422debd8055"


def statuses(*names):
    jobs = iter(Job(JOB_ID, status=name) for name in names)
    return lambda: next(jobs)


def test_intervals_grow_from_half_a_second_to_five():
    intervals = PollSchedule().intervals()
    seen = [next(intervals) for _ in range(10)]
    assert seen[0] == 0.5 and seen[-1] == 5.0 and seen == sorted(seen)


def first(schedule, count):
    intervals = schedule.intervals()
    return [next(intervals) for _ in range(count)]


def test_a_server_on_this_machine_is_polled_from_20_ms_growing_half_again_to_5_s():
    seen = first(LOCAL_POLLS, 16)
    assert seen[:5] == pytest.approx([0.02, 0.03, 0.045, 0.0675, 0.10125])
    assert seen[13] < 5.0 and seen[14:] == [5.0, 5.0] and seen == sorted(seen)


def test_any_other_server_is_polled_from_half_a_second_as_before():
    assert first(REMOTE_POLLS, 5) == pytest.approx([0.5, 0.8, 1.28, 2.048, 3.2768])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8165/api/gspLive_backend", "http://localhost:8081/gspLive_backend",
                                 "http://[::1]:8165/api/gspLive_backend", "http://127.0.0.2:9000/api/gspLive_backend"])
def test_loopback_addresses_are_this_machine(url):
    assert poll_schedule(url) is LOCAL_POLLS


@pytest.mark.parametrize("url", ["https://api.gudusoft.com/api/gspLive_backend", "http://10.0.0.5:8165/api/gspLive_backend",
                                 "http://sqlflow.example.com/api/gspLive_backend", "http://localhost.example.com/x"])
def test_other_hosts_keep_the_half_second_floor(url):
    assert poll_schedule(url) is REMOTE_POLLS


def test_the_embedded_server_is_this_machine_whatever_its_url():
    assert poll_schedule("http://sqlflow.example.com/api/gspLive_backend", embedded=True) is LOCAL_POLLS


def test_a_local_job_of_60_ms_is_seen_finished_after_95_ms_of_pauses_not_half_a_second():
    fake = FakeTime()
    done_at = 0.06

    def fetch():
        return Job(JOB_ID, status="success" if fake.now >= done_at else "process")

    job = wait_for_job(JOB_ID, fetch, max_wait=60, schedule=LOCAL_POLLS, sleep=fake.sleep, clock=fake.clock)
    assert job.status == "success" and fake.sleeps == pytest.approx([0.02, 0.03, 0.045])


def test_retry_after_of_a_status_answer_delays_the_next_poll_and_never_hastens_it():
    fake = FakeTime()
    jobs = iter([Job(JOB_ID, status="process", retry_after=3.0), Job(JOB_ID, status="process", retry_after=0.0),
                 Job(JOB_ID, status="success")])
    wait_for_job(JOB_ID, lambda: next(jobs), max_wait=60, schedule=LOCAL_POLLS, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == pytest.approx([3.0, 0.03])


def test_a_retry_after_beyond_the_time_limit_ends_the_wait_at_once():
    fake = FakeTime()
    with pytest.raises(WaitTimeoutError, match="still process"):
        wait_for_job(JOB_ID, lambda: Job(JOB_ID, status="process", retry_after=120.0), max_wait=60,
                     sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


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
