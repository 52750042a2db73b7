"""Token buckets for the reminder API, keyed by the real client address (behind the
configured number of trusted proxies) or by device."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A token bucket per key: `per_minute` requests a minute on average, bursts up to
    the same number. In memory, so per process; enough to stop a script from filling
    the database or hammering a device, which is its job."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, stamp = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - stamp) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until `key` may make a request (0 now), without using one."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, key: str) -> float:
        """Use one request: 0 when allowed, else the seconds until one would be."""
        now = self.clock()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self._buckets) > self.MAX_KEYS:
                # Forget full buckets so a scan of many addresses cannot grow memory.
                full = [k for k, (t, s) in self._buckets.items() if t + (now - s) * self.rate >= self.capacity]
                for k in full:
                    del self._buckets[k]
        return wait


def retry_after(wait: float) -> str:
    """A Retry-After value in whole seconds, never 0 for a refused request."""
    return str(max(1, int(wait + 0.999)))
