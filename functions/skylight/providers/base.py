"""The contract every cloud provider implements, and how providers are found.

A provider is a package `skylight.providers.<name>` whose `provider` module exposes
`create_provider()`, returning a `CloudProvider`. Adding GCP or Azure is a new package; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from skylight.models.domain import Access, Account, ValidationReport
from skylight.models.errors import RetryLater
from skylight.models.inventory import RecordedListing, TypeListing


@dataclass(frozen=True)
class ParsedCredentials:
    """Credentials checked for shape; `public` is what may be stored and shown, `key` what must be unique.

    `secret` is what the vault must store (None for roles), under `purpose`. It lives in memory only
    for the request that received it and never shows in a repr.
    """

    public: dict[str, str]
    key: str
    secret: bytes | None = field(default=None, repr=False)
    purpose: str | None = None


@dataclass(frozen=True)
class Federation:
    """What a cloud trusting AWS outbound identity federation checks in Skylight's tokens for one
    tenant: the issuer, the tenant's own audience, and the subject (the platform principal)."""

    issuer: str
    audience: str
    subject: str


@dataclass(frozen=True)
class TenantContext:
    """What a provider may know about the tenant whose connection it validates or crawls: `state`
    is the provider's own state of the tenant (see `CloudProvider.new_tenant_state`), opaque to the
    rest of Skylight, and may hold secrets (AWS: the External IDs), so it never shows in a repr."""

    tenant_id: str
    state: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: Keyless providers only (`CloudProvider.keyless_federation`): the tenant's federation details.
    federation: Federation | None = None


class CloudProvider(ABC):
    """Parses, validates and describes connections to one cloud."""

    name: str
    #: Whether it reaches the cloud with tokens from AWS outbound identity federation: its kits and
    #: validations then get the tenant's `Federation` (its audience made on first use).
    keyless_federation: bool = False

    @abstractmethod
    def parse_credentials(self, credentials: dict[str, Any]) -> ParsedCredentials:
        """Check the credentials' shape; raise `InvalidRequest` naming the offending fields."""

    @abstractmethod
    def validate(
        self, credentials: ParsedCredentials, access: Access, tenant: TenantContext
    ) -> ValidationReport:
        """Prove the connection works with harmless calls, recording every step."""

    def validate_account(self, account: Account, tenant: TenantContext) -> ValidationReport:
        """Validate a stored account again; providers with stored secrets open them only here."""
        return self.validate(self.parse_credentials(account.credentials), account.access, tenant)

    def new_tenant_state(self) -> dict[str, Any]:
        """The state this provider keeps per tenant, made when a tenant first uses it and stored
        with the tenant (AWS: a new External ID); none by default."""
        return {}

    @abstractmethod
    def onboarding_kit(self, tenant: TenantContext, accounts: Callable[[], list[Account]]) -> dict[str, Any]:
        """What a tenant needs to set up its side of the connection; `accounts` lists the tenant's
        accounts on this provider, for kits that show which of them still need a change."""

    def account_attention(
        self, account: Account, tenant: Callable[[], TenantContext]
    ) -> tuple[dict[str, Any], list[str]]:
        """What this provider adds to an account's health: fields (AWS: `external_id`, which
        generation the role works with) and warnings in words. Nothing by default. `tenant()` reads
        the tenant: call it only for accounts whose attention depends on it."""
        return {}, []

    @abstractmethod
    def crawl_plan(self, account: Account, tenant: TenantContext) -> list[str]:
        """The segments a crawl of `account` is planned in: names of at most 32 characters, each
        crawled by one task (AWS: every enabled region, plus `global` for the global types).
        Batching, ordering, digests, progress and stale markers all work per segment."""

    @abstractmethod
    def resource_types(self, segment: str) -> list[str]:
        """The resource types a crawl lists in `segment`."""

    @abstractmethod
    def crawl_segments(
        self,
        account: Account,
        tenant: TenantContext,
        segments: Mapping[str, Mapping[str, RecordedListing]],
        on_listed: Callable[[str, TypeListing], None] | None = None,
        on_segment_done: Callable[[str, list[TypeListing]], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> dict[str, list[TypeListing]]:
        """List every resource type of each segment of `segments`, all at once; a type that fails
        carries its error instead. Calls `on_listed(segment, listing)` as each type is listed and
        `on_segment_done(segment, listings)` as each segment is.

        `stop_requested` is asked before every call to the cloud (each page, each detail call, each
        retry): once it says True, no call is made, and every type not yet listed fails with
        `AccountDisconnected` (its stored items are kept).

        `segments`: by segment, by type, what was recorded when its items were last stored. A type
        whose pages still have the recorded fingerprint may be reported unchanged
        (`TypeListing.unchanged_pages`), unparsed; the largest listings may start first."""


class ProviderUnavailable(RetryLater):
    """A provider package failed to load: requests about it answer 503, other providers work on."""


@lru_cache(maxsize=1)
def provider_names() -> frozenset[str]:
    """Every provider package under `skylight.providers`, found by convention, none imported."""
    package = importlib.import_module("skylight.providers")
    return frozenset(module.name for module in pkgutil.iter_modules(package.__path__) if module.ispkg)


@cache
def _loaded(name: str) -> CloudProvider:
    provider: CloudProvider = importlib.import_module(f"skylight.providers.{name}.provider").create_provider()
    return provider


def get_provider(name: str) -> CloudProvider:
    """The provider `name`, imported on first use only: a request about AWS never loads another
    cloud's libraries, and one provider that fails to load cannot break another's requests."""
    if name not in provider_names():
        raise KeyError(name)
    try:
        return _loaded(name)
    except Exception as error:
        raise ProviderUnavailable(f"the {name} provider is unavailable: {type(error).__name__}") from error


def forget_providers() -> None:
    """Drop every loaded provider (a new container, for tests)."""
    provider_names.cache_clear()
    _loaded.cache_clear()
