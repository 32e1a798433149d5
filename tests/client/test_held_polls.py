"""Polls a server may hold until the job is final (waitMillis): after a poll held the whole time the next
follows at once; a poll answered sooner is followed by the schedule's pause, as before; the hold never
reaches a read timeout, a call's deadline or the longest wait. With a fake clock, no real sleeping."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import Job
from sqlflow_magic.client.waiting import LOCAL_HOLD_SECONDS, LOCAL_POLLS, REMOTE_POLLS, held_within, wait_for_job
from tests.support.fake_time import FakeTime

pytestmark = pytest.mark.unit

JOB_ID = "c359aef4bd9641d697732422debd8055"


def test_a_server_on_this_machine_is_asked_to_hold_each_poll_a_second_and_no_other_is():
    assert (LOCAL_POLLS.hold, REMOTE_POLLS.hold) == (LOCAL_HOLD_SECONDS, 0.0) == (1.0, 0.0)


def test_a_poll_held_for_the_whole_hold_is_followed_at_once():
    fake = FakeTime()
    answers = iter(["process", "process", "success"])

    def held_fetch():
        fake.now += LOCAL_POLLS.hold  # the server held the poll the whole time: the job was not done
        return Job(JOB_ID, status=next(answers))

    job = wait_for_job(JOB_ID, held_fetch, max_wait=60, schedule=LOCAL_POLLS, sleep=fake.sleep, clock=fake.clock)
    assert job.status == "success" and fake.sleeps == []


def test_a_poll_answered_before_its_hold_is_followed_by_the_usual_pause():
    fake = FakeTime()
    answers = iter(["process", "process", "success"])  # a server that ignores waitMillis answers at once
    job = wait_for_job(JOB_ID, lambda: Job(JOB_ID, status=next(answers)), max_wait=60, schedule=LOCAL_POLLS,
                       sleep=fake.sleep, clock=fake.clock)
    assert job.status == "success" and fake.sleeps == pytest.approx([0.02, 0.03])


def test_a_held_poll_still_honours_retry_after():
    fake = FakeTime()
    answers = iter([Job(JOB_ID, status="process", retry_after=2.0), Job(JOB_ID, status="success")])

    def held_fetch():
        fake.now += LOCAL_POLLS.hold
        return next(answers)

    wait_for_job(JOB_ID, held_fetch, max_wait=60, schedule=LOCAL_POLLS, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [2.0]


@pytest.mark.parametrize(("limits", "hold"), [((120.0, 300.0, 600.0), 1.0), ((1.0, 300.0, 600.0), 0.5),
                                              ((120.0, 0.6, 600.0), 0.3), ((120.0, 300.0, 0.2), 0.1)])
def test_the_hold_is_at_most_half_the_read_timeout_the_deadline_and_the_longest_wait(limits, hold):
    assert held_within(LOCAL_POLLS, *limits).hold == pytest.approx(hold)


def test_a_schedule_without_a_hold_keeps_none():
    assert held_within(REMOTE_POLLS, 120.0, 300.0, 600.0).hold == 0.0
