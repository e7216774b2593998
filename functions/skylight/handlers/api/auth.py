"""Who is calling: tenant, subject and roles come ONLY from the token the JWT authorizer verified.

API Gateway hands the function the verified claims flattened into strings: an array claim such as
`["viewer", "Billing admin"]` arrives as `"[viewer Billing admin]"`, which no parser can split back
(a group named "Billing admin" would become the role `admin`). So array claims are read from the
token's own payload (the Authorization header, which the authorizer checked), and that payload is
accepted only if every claim used here, flattened the way API Gateway flattens it, is the claim the
authorizer passed on: a token swapped in after the check never matches.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from skylight.config import Settings
from skylight.models.domain import Caller
from skylight.models.errors import Forbidden, Unauthorized

ADMIN, VIEWER = "admin", "viewer"
# The whole claim, ASCII only: `re.match` with `$` would let "acme\n" through as a tenant of its own.
_TENANT_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_BEARER = re.compile(r"\ABearer +(\S+)\Z", re.IGNORECASE | re.ASCII)


def token_payload(headers: dict[str, Any] | None) -> dict[str, Any]:
    """The payload of the bearer token in the request's Authorization header, unverified here: the
    authorizer verified it; `caller_from_claims` checks it is the token the authorizer saw."""
    values = [v for k, v in (headers or {}).items() if k.lower() == "authorization"]
    found = _BEARER.match(values[0]) if len(values) == 1 and isinstance(values[0], str) else None
    parts = found.group(1).split(".") if found else []
    if len(parts) != 3:
        raise Unauthorized("a valid bearer token is required")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise Unauthorized("a valid bearer token is required") from None
    if not isinstance(payload, dict):
        raise Unauthorized("a valid bearer token is required")
    return payload


def flattened(value: Any) -> str:
    """A claim as API Gateway's JWT authorizer passes it on: arrays as "[a b]", the rest as text."""
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def caller_from_claims(claims: dict[str, Any] | None, payload: dict[str, Any], settings: Settings) -> Caller:
    """Build the caller from the verified claims and the token's payload; anything missing, malformed
    or not matching is a 401."""
    if not claims:
        raise Unauthorized("a valid bearer token is required")
    for name in {"sub", settings.tenant_claim, settings.roles_claim}:
        if (name in payload or name in claims) and (
            name not in payload or claims.get(name) != flattened(payload[name])
        ):
            raise Unauthorized("the token does not match the claims the authorizer verified")
    tenant_id = payload.get(settings.tenant_claim)
    if not isinstance(tenant_id, str) or not _TENANT_ID.fullmatch(tenant_id):
        raise Unauthorized(f"the token has no usable '{settings.tenant_claim}' claim")
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthorized("the token has no 'sub' claim: every action must name who took it")
    return Caller(
        tenant_id=tenant_id, subject=subject, roles=roles_of(payload.get(settings.roles_claim), settings)
    )


def roles_of(value: Any, settings: Settings) -> frozenset[str]:
    """Skylight's roles in the token's roles claim: a value counts only if it IS the configured name of
    a role, exactly (a list of names, or one name); anything else grants nothing."""
    names = {settings.admin_role_name: ADMIN, settings.viewer_role_name: VIEWER}
    values = value if isinstance(value, list) else [value]
    return frozenset(names[item] for item in values if isinstance(item, str) and item in names)


def require_role(caller: Caller, role: str) -> Caller:
    """Admins may do everything; viewers only what needs `viewer`."""
    if caller.is_admin or role in caller.roles:
        return caller
    raise Forbidden(f"this action needs the '{role}' role")


def required_role(method: str, path: str) -> str:
    """The least role a request needs: reads need `viewer`, except onboarding, whose External ID is secret,
    and the audit trail."""
    if path.startswith(("/v1/onboarding/", "/v1/audit")):
        return ADMIN
    return VIEWER if method in ("GET", "HEAD") else ADMIN


def authorize(event: dict[str, Any], settings: Settings) -> Caller:
    """Authenticate and authorize a request before anything else looks at it (401, then 403)."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    if not claims:
        raise Unauthorized("a valid bearer token is required")
    caller = caller_from_claims(claims, token_payload(event.get("headers")), settings)
    method = str((context.get("http") or {}).get("method", ""))
    return require_role(caller, required_role(method, str(event.get("rawPath", ""))))
