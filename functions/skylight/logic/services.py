"""The outside systems a use case may touch, injected as one bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from skylight.dal.base import AccountRepository, AuditRepository, RateLimits, TenantRepository
from skylight.dal.inventory import CrawlRepository, InventoryRepository
from skylight.gateways.schedules import CrawlScheduler
from skylight.gateways.workflow import WorkflowStarter
from skylight.providers.base import CloudProvider
from skylight.vault.envelope import Vault

if TYPE_CHECKING:
    # Types only: the sink's implementation (Powertools' metrics) loads when it is first built.
    from skylight.gateways.metrics import MetricsSink
    from skylight.logic.federation import IdentityTokenIssuer


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TenantLimits:
    """How much one tenant may ask of the platform (see `skylight.logic.limits`)."""

    #: Accounts that are not disconnected.
    accounts: int = 500
    #: Connects, tests, credential replacements and restores (each validates against the cloud).
    validations_per_minute: int = 30
    #: On-demand crawl requests, per account.
    crawl_requests_per_hour: int = 12


@dataclass
class Services:
    """Built in one place, `skylight.handlers.dependencies` (the composition root)."""

    tenants: TenantRepository
    accounts: AccountRepository
    workflow: WorkflowStarter
    inventory: InventoryRepository
    crawls: CrawlRepository
    schedules: CrawlScheduler
    provider: Callable[[str], CloudProvider]
    vault: Vault
    audit: AuditRepository
    limits: RateLimits
    identity_tokens: IdentityTokenIssuer
    metrics: MetricsSink
    #: The issuer of the tokens `identity_tokens` mints (the account's outbound issuer), and their
    #: subject (the platform principal's ARN): what a keyless provider's kit tells the tenant to trust.
    federation_issuer: str = ""
    federation_subject: str = ""
    clock: Callable[[], datetime] = field(default=utc_now)
    retention: timedelta = timedelta(days=30)
    credential_warn_after: timedelta = timedelta(days=60)
    credential_rotate_after: timedelta = timedelta(days=90)
    tenant_limits: TenantLimits = field(default_factory=TenantLimits)
