"""What the logic layer needs from storage; the DynamoDB implementation sits beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from skylight.models.domain import Account, Tenant


class Page:
    """One page of a listing and the opaque cursor of the next one."""

    def __init__(self, items: list[Account], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


class TenantRepository(Protocol):
    def get_or_create(self, tenant_id: str, new_external_id: Callable[[], str]) -> Tenant:
        """The tenant's record; created at most once even under concurrent first calls."""
        ...


class AccountRepository(Protocol):
    def create(self, account: Account) -> None:
        """Store a new account; raise `AlreadyConnected` if its connection key is taken in the tenant."""
        ...

    def connection_owner(self, tenant_id: str, connection_key: str) -> str | None:
        """The id of the account that holds this connection key in the tenant, if any."""
        ...

    def get(self, tenant_id: str, account_id: str, now: datetime) -> Account | None:
        """The account, or None if it does not exist in that tenant or has aged out."""
        ...

    def list(self, tenant_id: str, limit: int, cursor: str | None, now: datetime) -> Page:
        """A page of the tenant's accounts; raise `InvalidRequest` for a cursor it did not issue."""
        ...

    def update(self, account: Account) -> Account:
        """Save changes; raise `ConcurrentUpdate` when someone else saved first."""
        ...

    def disconnect(self, account: Account) -> Account:
        """Save the disconnected account and free its connection key, in one transaction."""
        ...


class ConcurrentUpdate(Exception):
    """The item changed since it was read."""
