"""Every metric Skylight publishes: its name, unit, dimensions and what it means.

One namespace; dimensions keep cardinality bounded (a provider, an outcome code, a service, a limit:
tens of values), never a tenant or an account id, which live in the logs beside each metric instead.
The alarms and the dashboard (infra/constructs/operations.py) are built from this catalogue, and a
test holds them to it: no widget for a metric nobody publishes, no metric published without a widget.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "Skylight"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str  # a CloudWatch unit: Count, Milliseconds
    dimensions: tuple[str, ...]
    description: str


VALIDATIONS = MetricSpec(
    "Validations",
    "Count",
    ("provider", "outcome"),
    "Connections validated, by outcome: connected or the error code",
)
CRAWLS = MetricSpec("Crawls", "Count", ("provider", "status"), "Crawls finished, by status")
CRAWL_DURATION = MetricSpec(
    "CrawlDuration", "Milliseconds", ("provider",), "From a crawl's start to its finish"
)
RESOURCES_LISTED = MetricSpec("ResourcesListed", "Count", ("provider",), "Resources the crawls listed")
PROVIDER_CALLS = MetricSpec(
    "ProviderCalls", "Count", ("provider", "service"), "Calls the crawls made to the cloud"
)
PROVIDER_THROTTLES = MetricSpec(
    "ProviderThrottles",
    "Count",
    ("provider", "service"),
    "Calls the cloud throttled (each retried within budget)",
)
LISTING_ERRORS = MetricSpec(
    "ListingErrors", "Count", ("provider", "service"), "Listings that failed with the cloud's error"
)
ITEM_WRITES = MetricSpec(
    "ItemWrites", "Count", ("provider",), "Inventory items written or deleted (changes only)"
)
STALE_SEGMENTS = MetricSpec(
    "StaleSegments",
    "Count",
    ("provider",),
    "(segment, type) listings kept from an older crawl when one finished",
)
API_REFUSALS = MetricSpec(
    "ApiRefusals", "Count", ("code",), "API requests answered with an error, by its code"
)
RATE_LIMITED = MetricSpec(
    "RateLimitedRequests", "Count", ("limit",), "Requests refused by a per-tenant limit"
)
ACCOUNTS_PURGED = MetricSpec("AccountsPurged", "Count", (), "Disconnected accounts whose data aged out")

CATALOGUE: tuple[MetricSpec, ...] = (
    VALIDATIONS,
    CRAWLS,
    CRAWL_DURATION,
    RESOURCES_LISTED,
    PROVIDER_CALLS,
    PROVIDER_THROTTLES,
    LISTING_ERRORS,
    ITEM_WRITES,
    STALE_SEGMENTS,
    API_REFUSALS,
    RATE_LIMITED,
    ACCOUNTS_PURGED,
)
