"""Per-client rate limits: a token bucket per key, refilled continuously.

Each API process keeps its own buckets, so with N processes a client gets up to N times the limit; the
limit guards each process against one client taking all of it. A limit shared across processes would
need a store all processes reach (the database or a cache) on every request.
"""

import math
import time
from dataclasses import dataclass

from wijkregistratie.core.errors import TooManyRequests

MAX_KEYS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key: str, what: str = "requests") -> None:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._buckets.clear()  # forget idle keys rather than grow without bound
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill_per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            retry_after = math.ceil((1 - bucket.tokens) / self.refill_per_second)
            raise TooManyRequests(
                f"More than {int(self.capacity)} {what} a minute; retry in {retry_after} s.", retry_after
            )
        bucket.tokens -= 1


@dataclass
class TokenLimiters:
    """The token endpoint's limits, checked before the (deliberately slow) secret check."""

    per_client: RateLimiter
    per_address: RateLimiter
    overall: RateLimiter


class RouteLimiters:
    """Limits a route declares for itself (registering signals, say), per client and route."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, int], RateLimiter] = {}

    def check(self, route: str, per_minute: int, client_id: str, what: str) -> None:
        limiter = self._limiters.get((route, per_minute))
        if limiter is None:
            limiter = self._limiters[(route, per_minute)] = RateLimiter(per_minute)
        limiter.check(client_id, what)
