"""Identity tokens for keyless access to other clouds (AWS outbound identity federation).

The platform principal asks AWS STS for a short-lived JWT that GCP workload identity federation and
Azure federated credentials trust. Issuer and subject are the same for every tenant of the platform,
so the audience is what keeps tenants apart: one per tenant, made by Skylight (never taken from
input), stable, and the only audience of every token minted for that tenant. A token lives five
minutes at most and is never logged or stored.
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

from skylight.logic.services import Services
from skylight.models.domain import Tenant
from skylight.providers.base import Federation

#: The shape of every tenant audience; the platform principal may mint tokens for these only.
AUDIENCE_PREFIX = "urn:skylight:tenant:"
AUDIENCE_PATTERN = re.compile(r"urn:skylight:tenant:[a-z2-7]{32}", re.ASCII)
#: GCP accepts audiences of at most 256 characters.
AUDIENCE_MAX_LENGTH = 256
#: Seconds a minted token is valid (the platform principal's policy allows no more).
TOKEN_LIFETIME_S = 300
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


class IdentityTokenIssuer(Protocol):
    def web_identity_token(self, audience: str, duration_seconds: int) -> str:
        """A JWT signed by AWS STS for exactly `audience`, minted as the platform principal."""
        ...


def new_federation_audience() -> str:
    """A fresh audience: 160 random bits, lower-case base32 (valid wherever an audience goes)."""
    return AUDIENCE_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(32))


def federation_audience(services: Services, tenant_id: str) -> str:
    """The tenant's audience, made and stored on first use."""
    return _audience(services, services.tenants.get_or_create(tenant_id))


def federation_of(services: Services, tenant: Tenant) -> Federation:
    """The tenant's federation details, its audience made and stored on first use."""
    return Federation(
        issuer=services.federation_issuer,
        audience=_audience(services, tenant),
        subject=services.federation_subject,
    )


def _audience(services: Services, tenant: Tenant) -> str:
    if tenant.federation_audience is not None:
        return tenant.federation_audience
    return services.tenants.ensure_federation_audience(tenant.tenant_id, new_federation_audience)


def identity_token(services: Services, tenant_id: str) -> str:
    """A token for the tenant's own audience only, for at most `TOKEN_LIFETIME_S` seconds."""
    audience = federation_audience(services, tenant_id)
    if not AUDIENCE_PATTERN.fullmatch(audience):
        raise ValueError("the stored federation audience is malformed")  # never mint for it
    return services.identity_tokens.web_identity_token(audience, TOKEN_LIFETIME_S)
