"""Who is calling: tenant, subject and roles come ONLY from claims the JWT authorizer verified."""

from __future__ import annotations

import json
import re
from typing import Any

from skylight.config import Settings
from skylight.models.domain import Caller
from skylight.models.errors import Forbidden, Unauthorized

KNOWN_ROLES = frozenset({"admin", "viewer"})
# The whole claim, ASCII only: `re.match` with `$` would let "acme\n" through as a tenant of its own.
_TENANT_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


def caller_from_claims(claims: dict[str, Any] | None, settings: Settings) -> Caller:
    """Build the caller from verified claims; anything missing or malformed is a 401."""
    if not claims:
        raise Unauthorized("a valid bearer token is required")
    tenant_id = claims.get(settings.tenant_claim)
    if not isinstance(tenant_id, str) or not _TENANT_ID.fullmatch(tenant_id):
        raise Unauthorized(f"the token has no usable '{settings.tenant_claim}' claim")
    roles = frozenset(parse_roles_claim(claims.get(settings.roles_claim))) & KNOWN_ROLES
    return Caller(tenant_id=tenant_id, subject=str(claims.get("sub", "")), roles=roles)


def parse_roles_claim(value: Any) -> list[str]:
    """Roles as a list, whatever shape the claim arrived in.

    API Gateway's JWT authorizer flattens array claims into one string such as "[admin viewer]";
    other issuers send a JSON list, a space- or comma-separated string, or a single role.
    """
    if isinstance(value, list):
        return [str(item) for item in value]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            text = text.strip("[]")
        else:
            return [str(item) for item in parsed] if isinstance(parsed, list) else []
    return [part for part in re.split(r"[\s,]+", text) if part]


def require_role(caller: Caller, role: str) -> Caller:
    """Admins may do everything; viewers only what needs `viewer`."""
    if caller.is_admin or role in caller.roles:
        return caller
    raise Forbidden(f"this action needs the '{role}' role")


def required_role(method: str, path: str) -> str:
    """The least role a request needs: reads need `viewer`, except onboarding, whose External ID is secret,
    and the audit trail."""
    if path.startswith(("/v1/onboarding/", "/v1/audit")):
        return "admin"
    return "viewer" if method in ("GET", "HEAD") else "admin"


def authorize(event: dict[str, Any], settings: Settings) -> Caller:
    """Authenticate and authorize a request before anything else looks at it (401, then 403)."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    caller = caller_from_claims(claims, settings)
    method = str((context.get("http") or {}).get("method", ""))
    return require_role(caller, required_role(method, str(event.get("rawPath", ""))))
