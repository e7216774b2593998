"""The crawl's call budget: a token bucket per (account, segment, service) of a listing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """A token bucket: `burst` calls at once, then `rate` calls per second."""

    rate: float
    burst: int


class TokenBucket:
    """A thread-safe token bucket; `acquire` waits until a call may go out."""

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self._budget = budget
        self._clock = clock
        self._tokens = float(budget.burst)
        self._updated = clock()
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._budget.burst, self._tokens + (now - self._updated) * self._budget.rate)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self._budget.rate if self._tokens < 0 else 0.0
            self.waited_s += wait
        if wait:
            time.sleep(wait)
