"""Per-tenant limits, so one tenant can neither starve the others nor run up the platform's bill.

Each is checked before the request does anything (nothing is validated, called or stored past a
limit) and kept in DynamoDB with conditional writes, so it holds across every concurrent function.
"""

from __future__ import annotations

from datetime import timedelta

from skylight.dal.base import LimitReached
from skylight.logic.services import Services
from skylight.models.domain import Caller
from skylight.models.errors import RateLimited
from skylight.models.metrics import RATE_LIMITED

VALIDATIONS = "validations"
CRAWL_REQUESTS = "crawls"
ACCOUNTS = "accounts_per_tenant"
# A count of accounts empties only when the tenant disconnects some: no time makes it pass sooner.
ACCOUNTS_RETRY_AFTER_S = 3600


def take_validation(services: Services, caller: Caller) -> None:
    """One more validation against the cloud (connect, test, new credentials, restore) this minute."""
    most = services.tenant_limits.validations_per_minute
    _take(services, caller.tenant_id, VALIDATIONS, most, timedelta(minutes=1), f"{most} validations a minute")


def take_crawl_request(services: Services, caller: Caller, account_id: str) -> None:
    """One more on-demand crawl request of the account this hour."""
    most = services.tenant_limits.crawl_requests_per_hour
    counter = f"{CRAWL_REQUESTS}#{account_id}"
    _take(services, caller.tenant_id, counter, most, timedelta(hours=1), f"{most} crawl requests an hour")


def require_room_for_an_account(services: Services, tenant_id: str) -> None:
    """Refuse early, before validating, when the tenant already has as many accounts as it may (the
    transaction that stores an account checks again, exactly)."""
    if services.accounts.active_count(tenant_id) >= services.tenant_limits.accounts:
        raise too_many_accounts(services)


def too_many_accounts(services: Services) -> RateLimited:
    most = services.tenant_limits.accounts
    services.metrics.record(RATE_LIMITED, 1, limit=ACCOUNTS)
    return RateLimited(
        f"the tenant already has {most} accounts, the most it may have; disconnect one first",
        limit=ACCOUNTS,
        retry_after=ACCOUNTS_RETRY_AFTER_S,
        most=most,
    )


def _take(services: Services, tenant_id: str, counter: str, most: int, window: timedelta, what: str) -> None:
    try:
        services.limits.take(tenant_id, counter, most, window, services.clock())
    except LimitReached as reached:
        limit = counter.split("#", 1)[0]
        services.metrics.record(RATE_LIMITED, 1, limit=limit)
        raise RateLimited(
            f"too many requests: at most {what}; retry in {reached.retry_after} s",
            limit=limit,
            retry_after=reached.retry_after,
            most=most,
        ) from None
