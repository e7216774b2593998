"""Tenants and their External IDs."""

from __future__ import annotations

from skylight.logic.services import Services
from skylight.models.domain import Tenant

# External IDs are AWS's: the AWS provider makes them (its validation makes wrong ones the same way).
from skylight.providers.aws.external_ids import new_external_id
from skylight.providers.base import TenantContext


def tenant_of(services: Services, tenant_id: str) -> Tenant:
    return services.tenants.get_or_create(tenant_id, new_external_id)


def context_of(tenant: Tenant) -> TenantContext:
    return TenantContext(
        tenant_id=tenant.tenant_id,
        external_id=tenant.external_id,
        external_id_generation=tenant.external_id_generation,
        previous_external_id=tenant.previous_external_id,
    )


def tenant_context(services: Services, tenant_id: str) -> TenantContext:
    return context_of(tenant_of(services, tenant_id))
