"""External IDs: how they are made, and the tenant's External ID state, which only AWS understands.

The confused-deputy check at every validation assumes the role with a wrong External ID made by
this same generator, so a trust policy whose `StringLike` pattern merely looks like Skylight's IDs
(prefix, length, alphabet) is caught as accepting IDs that are not the tenant's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from skylight.models.domain import Account, AccountStatus

EXTERNAL_ID_PREFIX = "skylight-"
#: Random bytes behind each ID: 192 bits, 32 URL-safe characters after the prefix.
EXTERNAL_ID_RANDOM_BYTES = 24


def new_external_id() -> str:
    """An unguessable External ID within STS's alphabet; never derived from the tenant id."""
    return EXTERNAL_ID_PREFIX + secrets.token_urlsafe(EXTERNAL_ID_RANDOM_BYTES)


class ExternalIds(BaseModel):
    """The AWS provider's state of one tenant: its External ID and, while a rotation is under way,
    the previous one (still accepted). The keys are those tenants were stored with before providers
    owned their state, so both layouts read the same."""

    external_id: str = Field(repr=False)
    #: Bumped by every rotation; accounts record the generation they work with.
    external_id_generation: int = 1
    previous_external_id: str | None = Field(default=None, repr=False)
    rotation_started_at: datetime | None = None

    @classmethod
    def new(cls) -> ExternalIds:
        return cls(external_id=new_external_id())

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ExternalIds:
        return cls.model_validate(dict(state))

    @property
    def rotating(self) -> bool:
        return self.previous_external_id is not None

    @property
    def accepted(self) -> list[str]:
        """The IDs a trust policy must list: the current one, and the previous one during a rotation."""
        return [self.external_id, *([self.previous_external_id] if self.previous_external_id else [])]

    def rotated(self, now: datetime) -> ExternalIds:
        return ExternalIds(
            external_id=new_external_id(),
            external_id_generation=self.external_id_generation + 1,
            previous_external_id=self.external_id,
            rotation_started_at=now,
        )

    def completed(self) -> ExternalIds:
        return self.model_copy(update={"previous_external_id": None, "rotation_started_at": None})

    def for_generation(self, generation: int | None) -> str:
        """The ID an account that works with `generation` is let in with (the previous one while the
        rotation is under way and its role has not moved yet)."""
        moved = generation is None or generation >= self.external_id_generation
        return self.previous_external_id if self.previous_external_id and not moved else self.external_id

    def state(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def on_previous(external_ids: ExternalIds, accounts: list[Account]) -> list[Account]:
    """Role accounts last let in with an older External ID, whether their other checks passed or not
    (disconnected ones don't count)."""
    return [
        account
        for account in accounts
        if account.status is not AccountStatus.DISCONNECTED
        and account.credentials.get("type") == "role"
        and (account.provider_state.get("external_id_generation") or 1) < external_ids.external_id_generation
    ]


def account_ref(account: Account) -> dict[str, str]:
    return {"id": account.id, "name": account.name}


def rotation_status(external_ids: ExternalIds, accounts: Callable[[], list[Account]]) -> dict[str, Any]:
    """Which generation is current and, during a rotation, which accounts still use the previous ID
    (listed only then)."""
    return {
        "in_progress": external_ids.rotating,
        "generation": external_ids.external_id_generation,
        "started_at": external_ids.rotation_started_at,
        "accounts_on_previous": [account_ref(a) for a in on_previous(external_ids, accounts())]
        if external_ids.rotating
        else [],
    }
