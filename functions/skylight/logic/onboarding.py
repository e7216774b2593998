"""The onboarding kit: what a tenant needs to set up its side of a connection, on any provider."""

from __future__ import annotations

from typing import Any

from skylight.logic.accounts import all_accounts
from skylight.logic.services import Services
from skylight.logic.tenants import tenant_context
from skylight.models.domain import Account, Caller


def onboarding_kit(services: Services, caller: Caller, provider_name: str) -> dict[str, Any]:
    """The provider's kit for the caller's tenant, tagged with the provider's name."""
    provider = services.provider(provider_name)
    kit = provider.onboarding_kit(
        tenant_context(services, caller.tenant_id, provider_name),
        lambda: provider_accounts(services, caller.tenant_id, provider_name),
    )
    return {**kit, "provider": provider_name}


def provider_accounts(services: Services, tenant_id: str, provider_name: str) -> list[Account]:
    """The tenant's accounts on one provider, disconnected ones included."""
    return [account for account in all_accounts(services, tenant_id) if account.provider == provider_name]
