"""Tenants, and what each provider keeps about them."""

from __future__ import annotations

from skylight.logic.federation import federation_of
from skylight.logic.services import Services
from skylight.models.domain import Tenant
from skylight.providers.base import TenantContext


def tenant_of(services: Services, tenant_id: str, provider_name: str | None = None) -> Tenant:
    """The tenant; with `provider_name`, with that provider's state made if it has none yet."""
    if provider_name is None:
        return services.tenants.get_or_create(tenant_id)
    provider = services.provider(provider_name)
    return services.tenants.get_or_create(tenant_id, provider_name, provider.new_tenant_state)


def context_of(services: Services, tenant: Tenant, provider_name: str) -> TenantContext:
    """What the provider may know of the tenant: its own state, and its federation details if it
    is keyless."""
    keyless = services.provider(provider_name).keyless_federation
    return TenantContext(
        tenant_id=tenant.tenant_id,
        state=tenant.state_of(provider_name),
        federation=federation_of(services, tenant) if keyless else None,
    )


def tenant_context(services: Services, tenant_id: str, provider_name: str) -> TenantContext:
    return context_of(services, tenant_of(services, tenant_id, provider_name), provider_name)
