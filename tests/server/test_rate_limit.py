"""The limits on failed token requests refill at their rate and hold bounded memory, whatever ids and addresses
an attacker cycles through (``server/rate_limit.py``, on a clock the test moves)."""

from __future__ import annotations

import pytest

from sqlflow_magic.server.rate_limit import FailureLimiter, TokenAttemptLimits, address_key, user_key

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_capacity_then_one_failure_per_refill() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60.0, clock=clock)
    assert [limiter.fail("k") for _ in range(3)] == [False, False, True]
    assert limiter.wait_seconds("k") == pytest.approx(20.0)
    clock.now += 19.0
    assert limiter.wait_seconds("k") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.wait_seconds("k") == 0
    assert limiter.fail("k") is True  # one allowed, used at once
    clock.now += 60.0
    assert limiter.wait_seconds("k") == 0 and [limiter.fail("k") for _ in range(3)] == [False, False, True]


def test_a_full_bucket_is_forgotten() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60.0, clock=clock)
    limiter.fail("old")
    clock.now += 60.0
    limiter.fail("new")
    assert len(limiter) == 1


def test_cycling_user_ids_and_addresses_keeps_memory_bounded() -> None:
    clock = Clock()
    limits = TokenAttemptLimits(10, 30, 300.0, trusted_seconds=86400.0, max_entries=500, clock=clock)
    for number in range(5_000):
        limits.failed(f"user-{number}" * 100, f"10.{number // 65536}.{number // 256 % 256}.{number % 256}")
        limits.succeeded(f"user-{number}", f"2001:db8:{number:x}::1")
        clock.now += 0.001
    assert limits.entries() <= 3 * 500


def test_an_address_that_got_a_token_skips_the_users_limit_but_not_its_own() -> None:
    limits = TokenAttemptLimits(2, 3, 300.0, trusted_seconds=86400.0, clock=Clock())
    limits.succeeded("alice", "10.0.0.1")
    limits.failed("alice", "10.0.0.9")
    limits.failed("alice", "10.0.0.9")
    assert limits.wait_seconds("alice", "10.0.0.9") > 0 and limits.wait_seconds("alice", "10.0.0.8") > 0
    assert limits.wait_seconds("alice", "10.0.0.1") == 0
    limits.failed("bob", "10.0.0.1")
    limits.failed("carol", "10.0.0.1")
    limits.failed("dave", "10.0.0.1")
    assert limits.wait_seconds("alice", "10.0.0.1") > 0


def test_an_ipv6_host_counts_as_its_64_and_a_mapped_ipv4_as_itself() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7") == "192.0.2.7"
    assert address_key("testclient") == "testclient"


def test_a_user_id_is_kept_as_32_bytes_however_long() -> None:
    assert len(user_key("x" * 1_000_000)) == len(user_key("")) == 32
