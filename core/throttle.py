"""R29: attempt limits in the shared cache, counted before the check they guard.

A *bucket* is a name and the parts that make it one counter (an account and a
client address; a client address alone). ``attempt`` counts one try against every
bucket at once and says whether it may go ahead: the count comes first, so
concurrent guesses cannot all slip in before any failure is recorded, and a try
over the limit never reaches the (slow) password hash or the code check. A
success clears the buckets that named the account (``clear``); the client
address's own bucket keeps counting failures only (``forgive``).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Bucket:
    name: str
    parts: tuple[str, ...]
    limit: int

    @property
    def key(self) -> str:
        # Hashed: any cache backend accepts it, and no address sits in the cache.
        digest = hashlib.sha256("\x1f".join(self.parts).encode()).hexdigest()
        return f"throttle:{self.name}:{digest}"


def window_seconds() -> int:
    return settings.LOGIN_LOCKOUT_SECONDS


def _count(bucket: Bucket) -> int:
    # add + incr is atomic on every cache backend (Redis INCR; locmem under a
    # lock), so concurrent tries each get their own number. The window starts at
    # the first try.
    cache.add(bucket.key, 0, window_seconds())
    try:
        return cache.incr(bucket.key)
    except ValueError:  # expired between add and incr
        cache.set(bucket.key, 1, window_seconds())
        return 1


def attempt(*buckets: Bucket) -> Bucket | None:
    """Count one try in each bucket; the first bucket now over its limit, or None."""
    over = None
    for bucket in buckets:
        if _count(bucket) > bucket.limit and over is None:
            over = bucket
    return over


def exceeded(*buckets: Bucket) -> Bucket | None:
    """The first bucket already at its limit, without counting a try."""
    for bucket in buckets:
        if cache.get(bucket.key, 0) >= bucket.limit:
            return bucket
    return None


def forgive(bucket: Bucket) -> None:
    """Take back one counted try (a success), never below zero."""
    try:
        if cache.decr(bucket.key) < 0:
            cache.set(bucket.key, 0, window_seconds())
    except ValueError:
        pass


def clear(*buckets: Bucket) -> None:
    cache.delete_many([bucket.key for bucket in buckets])


def minutes_left() -> int:
    """What refusals tell people to wait: the whole window, rounded up."""
    return max(1, -(-window_seconds() // 60))
