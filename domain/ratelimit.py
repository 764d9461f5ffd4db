"""Requests per minute per caller: a token bucket each, refilled continuously.

``RateLimiter`` keeps the buckets in this process; on PostgreSQL the server keeps them in the
database instead (``db.ratelimits``), with the same rule, so that every process spends from one
bucket per caller. Either way a request's outcome reads the same (``Spent``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Buckets idle this long are full again, so forgetting them changes nothing.
FULL_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class Spent:
    """One request's outcome: seconds to wait (0: allowed), and what is left of the caller's
    bucket: whole requests, and seconds until it is full again (the ``RateLimit`` header's ``r``
    and ``t``)."""

    wait: float
    remaining: int
    reset: int

    @classmethod
    def of(cls, tokens: float, allowed: bool, per_minute: int) -> Spent:
        """From the bucket's tokens after the request (spent or not) and whether it was allowed."""
        rate = per_minute / 60.0
        return cls(0.0 if allowed else (1.0 - tokens) / rate, int(tokens),
                   max(0, math.ceil((per_minute - tokens) / rate)))


@dataclass
class RateLimiter:
    """Each caller may burst up to its per-minute limit, then gets one request per
    (60 / limit) seconds. Time is passed in (seconds, monotonic), so the rule is testable."""

    max_buckets: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, caller: str, per_minute: int, now: float) -> float:
        """Spend one request: 0 when allowed, else the seconds until one is available."""
        rate = per_minute / 60.0
        if caller not in self._buckets and len(self._buckets) >= self.max_buckets:
            self._forget_idle(now)
        tokens, updated = self._buckets.get(caller, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - updated) * rate)
        if tokens >= 1.0:
            self._buckets[caller] = (tokens - 1.0, now)
            return 0.0
        self._buckets[caller] = (tokens, now)
        return (1.0 - tokens) / rate

    def spend(self, caller: str, per_minute: int, now: float) -> Spent:
        """Spend one request, and say what is left."""
        wait = self.take(caller, per_minute, now)
        tokens, _updated = self._buckets[caller]
        return Spent.of(tokens, wait == 0.0, per_minute)

    def _forget_idle(self, now: float) -> None:
        for caller in [c for c, (_t, updated) in self._buckets.items() if now - updated >= FULL_AFTER_SECONDS]:
            del self._buckets[caller]
