"""How a crawl that is told to stop (its account was disconnected) stops, and says so."""

from __future__ import annotations

# What a type that a disconnect stopped reports (its stored items are kept).
ACCOUNT_DISCONNECTED = "AccountDisconnected"
DISCONNECTED_MESSAGE = "the account was disconnected: the crawl stopped before calling again"


class CrawlStopped(Exception):
    """Raised before a call is sent once the crawl is told to stop: the call never leaves."""
