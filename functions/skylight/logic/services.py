"""The outside systems a use case may touch, injected as one bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from skylight.dal.base import AccountRepository, TenantRepository
from skylight.dal.inventory import CrawlRepository, InventoryRepository
from skylight.gateways.schedules import CrawlScheduler
from skylight.gateways.workflow import WorkflowStarter
from skylight.providers.base import CloudProvider, get_provider


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    tenants: TenantRepository
    accounts: AccountRepository
    workflow: WorkflowStarter
    inventory: InventoryRepository
    crawls: CrawlRepository
    schedules: CrawlScheduler
    provider: Callable[[str], CloudProvider] = get_provider
    clock: Callable[[], datetime] = field(default=utc_now)
    retention: timedelta = timedelta(days=30)
