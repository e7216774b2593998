"""Helpers every route module shares."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from skylight.handlers.api.auth import require_role
from skylight.models.api import ErrorOut
from skylight.models.domain import Caller
from skylight.models.errors import Unauthorized


def current_caller(router: Router, role: str) -> Caller:
    """The caller the entry point verified, checked again against what this route needs."""
    caller = router.context.get("caller")
    if not isinstance(caller, Caller):
        raise Unauthorized("a valid bearer token is required")
    return require_role(caller, role)


ERROR_RESPONSES: dict[int, str] = {
    400: "invalid_request: malformed JSON, missing or invalid fields (named in `fields`)",
    401: "unauthorized: no valid token",
    403: "forbidden: the token's roles do not allow this",
    404: "not_found: no such account in your tenant",
    409: "already_connected, account_disconnected, account_not_disconnected, external_id_in_use, "
    "external_id_rotation_in_progress, no_external_id_rotation or conflict",
    422: "validation failed: access_denied, insecure_trust_policy, permission_denied, identity_mismatch, "
    "partition_mismatch, invalid_credentials, root_credentials",
    503: "retry_later: the cloud provider throttled or did not answer",
}


AccountId = Annotated[str, Path(min_length=1, max_length=64, description="The account's id")]


def route_errors(*codes: int) -> dict[int, OpenAPIResponse]:
    """What every authenticated route can answer (400, 401, 403), plus `codes`."""
    return error_responses(400, 401, 403, *codes)


def error_responses(*codes: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI descriptions of the errors a route can return."""
    return {
        code: {"description": ERROR_RESPONSES[code], "content": {"application/json": {"model": ErrorOut}}}
        for code in codes
    }
