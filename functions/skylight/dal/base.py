"""What the logic layer needs from storage; the DynamoDB implementation sits beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from skylight.models.domain import Account, AuditEntry, Tenant
from skylight.models.secrets import SealedSecret

T = TypeVar("T")


class Page(Generic[T]):
    """One page of a listing and the opaque cursor of the next one."""

    def __init__(self, items: list[T], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


class TenantRepository(Protocol):
    def get_or_create(
        self,
        tenant_id: str,
        provider: str | None = None,
        new_state: Callable[[], dict[str, Any]] | None = None,
    ) -> Tenant:
        """The tenant's record; created at most once even under concurrent first calls. With
        `provider`: its state in the tenant is made by `new_state()` if it has none yet (stored at
        most once: the first of concurrent callers wins; an empty state is not stored)."""
        ...

    def save_provider_state(self, tenant: Tenant, provider: str, state: dict[str, Any]) -> Tenant:
        """Replace one provider's state in the tenant; raise `ConcurrentUpdate` if any provider's
        state changed since `tenant` was read."""
        ...

    def ensure_federation_audience(self, tenant_id: str, new_audience: Callable[[], str]) -> str:
        """The tenant's audience: the stored one, else `new_audience()` stored at most once (the first
        of concurrent callers wins). The tenant must exist."""
        ...


class AccountRepository(Protocol):
    def create(self, account: Account, secret: SealedSecret | None = None, most: int | None = None) -> None:
        """Store a new account (and its sealed secret, in the same transaction); raise `AlreadyConnected`
        if its connection key is taken in the tenant, `TooManyAccounts` if the tenant already has
        `most` accounts that are not disconnected."""
        ...

    def active_count(self, tenant_id: str) -> int:
        """How many of the tenant's accounts are not disconnected."""
        ...

    def connection_owner(self, tenant_id: str, connection_key: str) -> str | None:
        """The id of the account that holds this connection key in the tenant, if any."""
        ...

    def get(self, tenant_id: str, account_id: str, now: datetime) -> Account | None:
        """The account, or None if it does not exist in that tenant or has aged out."""
        ...

    def is_active(self, tenant_id: str, account_id: str, now: datetime) -> bool:
        """Whether the account exists and is not disconnected, read consistently and cheaply (its
        status only): a crawl asks before every call it makes to the cloud."""
        ...

    def list(self, tenant_id: str, limit: int, cursor: str | None, now: datetime) -> Page[Account]:
        """A page of the tenant's accounts; raise `InvalidRequest` for a cursor it did not issue."""
        ...

    def update(self, account: Account) -> Account:
        """Save changes; raise `ConcurrentUpdate` when someone else saved first."""
        ...

    def replace_credentials(
        self, account: Account, previous_connection_key: str, secret: SealedSecret | None
    ) -> Account:
        """Switch the account to new credentials in one transaction: the account, its connection key
        and its sealed secret change together or not at all."""
        ...

    def disconnect(self, account: Account) -> Account:
        """Save the disconnected account, free its connection key and destroy its sealed secret, in one
        transaction."""
        ...

    def restore(self, account: Account, secret: SealedSecret | None, most: int | None = None) -> Account:
        """Bring a disconnected account back: claim its connection key again and store its new secret;
        raise `TooManyAccounts` if the tenant already has `most` accounts that are not disconnected."""
        ...


class SecretRepository(Protocol):
    def get(self, tenant_id: str, account_id: str) -> SealedSecret | None:
        """The account's current sealed secret, if any."""
        ...


class AuditRepository(Protocol):
    def record(self, entry: AuditEntry) -> None:
        """Append one entry to the tenant's audit trail."""
        ...

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page[AuditEntry]:
        """The tenant's audit trail, newest first."""
        ...


class RateLimits(Protocol):
    def take(self, tenant_id: str, counter: str, most: int, window: timedelta, now: datetime) -> None:
        """Count one use of `counter` in the current window of length `window`; raise `LimitReached`
        (and count nothing) when `most` uses were counted in it already. Exact across processes."""
        ...


class ConcurrentUpdate(Exception):
    """The item changed since it was read."""


class TooManyAccounts(Exception):
    """The tenant has as many accounts as it may have."""


class LimitReached(Exception):
    """A rate limit's window is full; it empties in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after
