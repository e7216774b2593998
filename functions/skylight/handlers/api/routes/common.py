"""Helpers every route module shares: the caller, path parameters and the documented responses."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from skylight.dal.cursors import CURSOR_PATTERN, MAX_CURSOR_CHARS
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


# Account ids are the UUIDs the API issues (lowercase, as stored); anything else is a 400, never a lookup.
ACCOUNT_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Crawl ids: the start time to the microsecond, then 6 hex digits (`logic.crawls.new_crawl_id`).
CRAWL_ID_PATTERN = r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{6}$"

AccountId = Annotated[
    str, Path(pattern=ACCOUNT_ID_PATTERN, min_length=36, max_length=36, description="The account's id")
]
CrawlId = Annotated[
    str, Path(pattern=CRAWL_ID_PATTERN, min_length=29, max_length=29, description="The crawl's id")
]
Limit = Annotated[int, Query(ge=1, le=100, description="At most this many items (1-100)")]
Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_CHARS,
        description="`next_cursor` of the previous page, as issued for this listing and these filters",
    ),
]

ERROR_RESPONSES: dict[int, str] = {
    400: "invalid_request: malformed JSON, missing, invalid or unknown fields or parameters (named in "
    "`fields`), or a cursor not issued for this listing",
    401: "unauthorized: no valid token, or one without a usable tenant claim",
    403: "forbidden: the token's roles do not allow this",
    404: "not_found: no such account (or crawl) in your tenant",
    422: "validation failed, nothing stored: access_denied, insecure_trust_policy, permission_denied, "
    "identity_mismatch, partition_mismatch, invalid_credentials, root_credentials (`steps` says why)",
    429: "rate_limited: too many of these requests from your tenant; try again after `Retry-After` seconds",
    500: "credentials_unavailable: stored credentials could not be opened, or new ones sealed (nothing "
    "stored)",
    503: "retry_later: the cloud provider or the key service throttled or did not answer; nothing changed",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    }
}


def documented(
    success: dict[int, OpenAPIResponse], *errors: int, conflicts: str | None = None
) -> dict[int, OpenAPIResponse]:
    """Every response a route can give: `success` (from `ok`), 401 and 403 (every route), `errors`,
    and 409 when `conflicts` names the conflict codes the route answers with."""
    codes = sorted({401, 403, *errors})
    responses: dict[int, OpenAPIResponse] = {**success}
    for code in codes:
        responses[code] = _error(code, ERROR_RESPONSES[code])
    if conflicts:
        responses[409] = _error(409, conflicts)
    return dict(sorted(responses.items()))


def ok(
    description: str, status: int = 200, links: dict[str, Any] | None = None
) -> dict[int, OpenAPIResponse]:
    """A success response; its schema is the route's return type."""
    response: OpenAPIResponse = {"description": description}
    if links:
        response["links"] = links
    return {status: response}


def _error(code: int, description: str) -> OpenAPIResponse:
    response: OpenAPIResponse = {
        "description": description,
        "content": {"application/json": {"model": ErrorOut}},
    }
    if code == 429:
        response["headers"] = _RETRY_AFTER  # type: ignore[typeddict-item]
    return response


def account_links(*operation_ids: str, account_id: str = "$response.body#/id") -> dict[str, Any]:
    """OpenAPI links from a response that names an account to the operations on that account."""
    return {
        operation_id: {"operationId": operation_id, "parameters": {"account_id": account_id}}
        for operation_id in operation_ids
    }
