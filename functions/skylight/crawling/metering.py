"""What each listing spends: calls, throttles, and how long its chain of sequential pages was.

A provider's transport hooks charge each call to `current_meter()`, the meter of the listing the call
is made for; `metered()` makes one for a listing. A context variable, not a thread-local: detail
calls a resource module makes from helper threads run in a copy of the listing's context (see
`skylight.crawling.details`) and are charged to it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CallMeter:
    """What one listing spent: calls, throttles, and answers counted per thread, to tell how long
    its chain of calls that had to wait for each other was (its own, then its longest detail chain)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listing_thread = threading.get_ident()
        self._answers: Counter[int] = Counter()
        self.api_calls = 0
        self.throttles = 0

    def call(self) -> None:
        with self._lock:
            self.api_calls += 1

    def throttled(self) -> None:
        with self._lock:
            self.throttles += 1

    def answered(self) -> None:
        with self._lock:
            self._answers[threading.get_ident()] += 1

    @property
    def pages(self) -> int:
        """The longest chain of answered calls that ran one after another."""
        with self._lock:
            own = self._answers.get(self._listing_thread, 0)
            helpers = [count for thread, count in self._answers.items() if thread != self._listing_thread]
        return own + max(helpers, default=0)


_LISTING: ContextVar[CallMeter | None] = ContextVar("skylight_listing", default=None)


@contextmanager
def metered() -> Iterator[CallMeter]:
    """Within: every call is charged to one new meter, the listing's."""
    meter = CallMeter()
    token = _LISTING.set(meter)
    try:
        yield meter
    finally:
        _LISTING.reset(token)


def current_meter() -> CallMeter:
    """The meter of the listing being made; a call outside any listing (never expected) is counted
    on a meter of its own, where it harms nothing."""
    meter = _LISTING.get()
    if meter is None:
        meter = CallMeter()
        _LISTING.set(meter)
    return meter
