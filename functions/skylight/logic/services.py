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
from skylight.providers.base import CloudProvider, get_provider
from skylight.vault.envelope import Vault

if TYPE_CHECKING:
    from skylight.logic.federation import IdentityTokenIssuer


def utc_now() -> datetime:
    return datetime.now(UTC)


def _default_vault() -> Vault:
    from skylight.vault import default_vault

    return default_vault()


def _default_audit() -> AuditRepository:
    from skylight.config import get_settings
    from skylight.dal.dynamodb import DynamoAuditRepository

    settings = get_settings()
    return DynamoAuditRepository(settings.table_name, settings.region)


def _default_identity_tokens() -> IdentityTokenIssuer:
    from skylight.providers.aws.identity_tokens import PlatformIdentityTokens

    return PlatformIdentityTokens()


def _default_limits() -> RateLimits:
    from skylight.config import get_settings
    from skylight.dal.dynamodb import DynamoRateLimits

    settings = get_settings()
    return DynamoRateLimits(settings.table_name, settings.region)


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
    tenants: TenantRepository
    accounts: AccountRepository
    workflow: WorkflowStarter
    inventory: InventoryRepository
    crawls: CrawlRepository
    schedules: CrawlScheduler
    provider: Callable[[str], CloudProvider] = get_provider
    clock: Callable[[], datetime] = field(default=utc_now)
    retention: timedelta = timedelta(days=30)
    vault: Vault = field(default_factory=_default_vault)
    audit: AuditRepository = field(default_factory=_default_audit)
    credential_warn_after: timedelta = timedelta(days=60)
    credential_rotate_after: timedelta = timedelta(days=90)
    limits: RateLimits = field(default_factory=_default_limits)
    tenant_limits: TenantLimits = field(default_factory=TenantLimits)
    identity_tokens: IdentityTokenIssuer = field(default_factory=_default_identity_tokens)
