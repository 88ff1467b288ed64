"""A token bucket: how fast backfill puts messages on the queue (``--rate``)."""

from __future__ import annotations

import time
from collections.abc import Callable

# SendMessageBatch takes up to 10 messages: the bucket always holds at least one full batch.
MIN_BURST = 10


class RateLimiter:
    """At most ``rate`` messages a second on average, starting with a burst of one second's worth
    (at least one batch); ``rate`` 0 means no limit."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self.capacity = max(rate, MIN_BURST)
        self.tokens = self.capacity
        self._clock, self._sleep = clock, sleep
        self._last = clock()

    def acquire(self, count: int) -> None:
        """Wait until ``count`` messages may go, then take them."""
        if self.rate <= 0:
            return
        self._refill()
        if self.tokens < count:
            self._sleep((count - self.tokens) / self.rate)
            self._refill()
        self.tokens -= count

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
