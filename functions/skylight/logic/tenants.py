"""Tenants and their External IDs."""

from __future__ import annotations

import secrets

from skylight.logic.services import Services
from skylight.models.domain import Tenant
from skylight.providers.base import TenantContext

EXTERNAL_ID_PREFIX = "skylight-"


def new_external_id() -> str:
    """192 random bits, URL-safe, within STS's ExternalId alphabet; never derived from the tenant id."""
    return EXTERNAL_ID_PREFIX + secrets.token_urlsafe(24)


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
