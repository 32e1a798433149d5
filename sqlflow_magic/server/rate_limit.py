"""Limits on failed ``/user/generateToken`` attempts, per ``userId`` and per client address, in bounded memory.

Each ``userId`` and each client address has a bucket of failures (:class:`FailureLimiter`): ``capacity``
failures in a row, then one more every ``window_seconds / capacity`` seconds; an untouched bucket is full
again ``window_seconds`` after its last failure. While a bucket is empty, attempts are refused with 429
before the key is checked, so guessing stops. Only failures count, never successes or refused attempts,
so hammering a limited bucket does not prolong the wait.

:class:`TokenAttemptLimits` combines the two:

* **Per address**: every attempt from an empty address bucket is refused, whatever the ``userId``. An IPv6
  address counts with its whole ``/64`` (one host usually has all of it), an IPv4-mapped one as IPv4.
* **Per userId**: every attempt for an empty ``userId`` bucket is refused, **except from an address that got a
  token for that userId within the last** ``trusted_seconds`` (the tokens' lifetime): someone else's failures
  from elsewhere never lock out the user where the user already works. A user at a new address waits, with
  everyone else, until the bucket refills. The rule is the same for a ``userId`` the server does not know,
  so the limits tell nothing about which users exist.

Memory is bounded: a ``userId`` is kept as a 32-byte digest, never as sent; a full bucket carries no state and
is dropped; each table holds at most ``max_entries`` (dropping the least recently failed past that), so an
attacker cycling ids or addresses cannot grow it. The price: past ``max_entries`` keys in one window, the
oldest are forgotten and get their full allowance again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

#: The most keys one table keeps (about 280 bytes each).
MAX_ENTRIES = 10_000


class FailureLimiter:
    """Token buckets of failures: ``capacity`` in a row, refilled at ``capacity`` per ``window_seconds``.

    Keys are kept least recently failed first, so full buckets are dropped from the front at no cost."""

    def __init__(self, capacity: int, window_seconds: float, *, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.window_seconds = window_seconds
        self._refill_seconds = window_seconds / capacity
        self._max_entries = max_entries
        self._clock = clock
        #: key -> (failures still allowed at the last failure, the time of that failure)
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _allowed(self, key: Hashable, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(self.capacity)
        left, at = bucket
        return min(float(self.capacity), left + (now - at) / self._refill_seconds)

    def wait_seconds(self, key: Hashable) -> float:
        """0 while ``key`` may fail again; else the seconds until it may."""
        allowed = self._allowed(key, self._clock())
        return 0.0 if allowed >= 1 else (1 - allowed) * self._refill_seconds

    def fail(self, key: Hashable) -> bool:
        """Count a failure of ``key``; return True if it was the last one allowed for now."""
        now = self._clock()
        left = self._allowed(key, now) - 1
        self._buckets.pop(key, None)
        self._buckets[key] = (max(left, 0.0), now)
        self._forget(now)
        return left < 1

    def _forget(self, now: float) -> None:
        while self._buckets:
            key, (_left, at) = next(iter(self._buckets.items()))
            if now - at < self.window_seconds and len(self._buckets) <= self._max_entries:
                return
            del self._buckets[key]  # full again by now, or the least recently failed past the bound


class TokenAttemptLimits:
    """The limits of ``/user/generateToken`` per ``userId`` and per client address (see the module)."""

    def __init__(self, per_user: int, per_address: int, window_seconds: float, trusted_seconds: float, *,
                 max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self.users = FailureLimiter(per_user, window_seconds, max_entries=max_entries, clock=clock)
        self.addresses = FailureLimiter(per_address, window_seconds, max_entries=max_entries, clock=clock)
        self._trusted_seconds = trusted_seconds
        self._max_entries = max_entries
        self._clock = clock
        #: (userId digest, address key) -> until when that address may skip the userId's limit
        self._trusted: OrderedDict[tuple[bytes, str], float] = OrderedDict()

    def __repr__(self) -> str:
        return (f"TokenAttemptLimits(users={len(self.users)}, addresses={len(self.addresses)}, "
                f"trusted={len(self._trusted)})")

    def entries(self) -> int:
        """How many keys the limits hold in all (each table at most ``max_entries``)."""
        return len(self.users) + len(self.addresses) + len(self._trusted)

    def wait_seconds(self, user_id: str, address: str) -> float:
        """0 if an attempt for ``user_id`` from ``address`` may be checked now; else the seconds to wait."""
        user, place = user_key(user_id), address_key(address)
        wait = self.addresses.wait_seconds(place)
        if not self._is_trusted(user, place):
            wait = max(wait, self.users.wait_seconds(user))
        return wait

    def failed(self, user_id: str, address: str) -> bool:
        """Count a failed attempt; return True if it used up the userId's or the address's allowance."""
        user_empty = self.users.fail(user_key(user_id))
        address_empty = self.addresses.fail(address_key(address))
        return user_empty or address_empty

    def succeeded(self, user_id: str, address: str) -> None:
        """Remember that ``address`` got a token for ``user_id``: it skips that userId's limit for a while."""
        now = self._clock()
        pair = (user_key(user_id), address_key(address))
        self._trusted.pop(pair, None)
        self._trusted[pair] = now + self._trusted_seconds
        while self._trusted:
            oldest, until = next(iter(self._trusted.items()))
            if until > now and len(self._trusted) <= self._max_entries:
                break
            del self._trusted[oldest]

    def _is_trusted(self, user: bytes, place: str) -> bool:
        until = self._trusted.get((user, place))
        return until is not None and until > self._clock()


def user_key(user_id: str) -> bytes:
    """What a ``userId`` is kept as: its SHA-256 digest, 32 bytes however long the id sent."""
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).digest()


def address_key(address: str) -> str:
    """What a client address counts as: itself; an IPv6 address's ``/64``; an IPv4-mapped address as IPv4."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]  # not an IP address (a test client, a Unix socket): counted as given
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def retry_after(seconds: float) -> int:
    """The ``Retry-After`` value for a wait of ``seconds``: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))
