"""Detail calls about listed items (one per table, cluster, ...), several at once.

An item whose detail call is refused or fails is kept as its listing gave it (`listed_only`), and
the failure is collected (`detail_gaps`), never dropped: the crawler reports it as a gap.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from threading import Lock
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Detail calls about listed items go out this many at a time. Each still spends from its service's
# call budget, so a large account is paced by the budget, and a small one is not kept waiting.
DETAIL_CONCURRENCY = 8


def described(
    items: Iterable[T],
    describe: Callable[[T], R | None],
    as_listed: Callable[[T], R] | None = None,
) -> Iterator[R]:
    """`describe(item)` for every listed item, up to `DETAIL_CONCURRENCY` at once, in the listing's
    order; items deleted in between (None) are skipped. With `as_listed`, `describe` is a detail
    call (see `or_as_listed`): an item whose call is refused or fails is `as_listed(item)`.

    Each call runs in a copy of the listing's context, so the crawler accounts for it (budget,
    calls, throttles, gaps) exactly as for the listing's own calls.
    """
    if as_listed is not None:
        detail, listed = describe, as_listed

        def describe(item: T) -> R | None:
            return or_as_listed(lambda: detail(item), lambda: listed(item))

    with ThreadPoolExecutor(max_workers=DETAIL_CONCURRENCY, thread_name_prefix="describe") as pool:
        # `map` takes every item before it returns, so each context is copied in the listing's thread.
        calls = pool.map(_run_in, ((contextvars.copy_context(), describe, item) for item in items))
        for result in calls:
            if result is not None:
                yield result


def _run_in(call: tuple[contextvars.Context, Callable[[T], R | None], T]) -> R | None:
    context, describe, item = call
    return context.run(describe, item)


# Marks a record that holds only what its listing said about an item: its detail call was refused or
# failed, and `transform` stores the item without the detail's attributes.
LISTED_ONLY = "skylight:listed_only"


def listed_only(**listed: Any) -> dict[str, Any]:
    """The record of an item as its listing gave it, for when its detail call was refused or failed."""
    return {**listed, LISTED_ONLY: True}


def is_listed_only(raw: dict[str, Any]) -> bool:
    return bool(raw.get(LISTED_ONLY))


class DetailGaps:
    """The detail calls of one listing that were refused or failed (from its helper threads too)."""

    def __init__(self, refusals: tuple[type[Exception], ...]) -> None:
        self._lock = Lock()
        self.refusals = refusals
        self.failures: list[Exception] = []

    def add(self, failure: Exception) -> None:
        with self._lock:
            self.failures.append(failure)


# A context variable, not a thread-local: `described` runs detail calls in copies of the listing's context.
_DETAIL_GAPS: contextvars.ContextVar[DetailGaps | None] = contextvars.ContextVar(
    "skylight_detail_gaps", default=None
)


@contextmanager
def detail_gaps(refusals: tuple[type[Exception], ...]) -> Iterator[DetailGaps]:
    """Within: a detail call that raises one of `refusals` (the provider's SDK errors: refused, or
    failed) gives its item as listed, and is collected."""
    gaps = DetailGaps(refusals)
    token = _DETAIL_GAPS.set(gaps)
    try:
        yield gaps
    finally:
        _DETAIL_GAPS.reset(token)


def or_as_listed(detail: Callable[[], R], as_listed: Callable[[], R]) -> R:
    """A detail call's answer; while the crawler collects `detail_gaps`, what the listing said
    (`as_listed()`) when the call is refused or fails, the failure noted. Elsewhere it raises."""
    gaps = _DETAIL_GAPS.get()
    if gaps is None:
        return detail()
    try:
        return detail()
    except gaps.refusals as failure:
        gaps.add(failure)
        return as_listed()
