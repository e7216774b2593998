"""The onboarding kit: everything a tenant needs to set up its side of a connection."""

from __future__ import annotations

from typing import Any

from skylight.logic.services import Services
from skylight.logic.tenants import tenant_context
from skylight.models.domain import Caller


def onboarding_kit(services: Services, caller: Caller, provider_name: str) -> dict[str, Any]:
    provider = services.provider(provider_name)
    return provider.onboarding_kit(tenant_context(services, caller.tenant_id))
