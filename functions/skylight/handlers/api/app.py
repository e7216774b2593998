"""The HTTP API's Lambda entry point: resolver, error mapping, routers. No business logic here."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.config import get_settings
from skylight.handlers.api.auth import authorize
from skylight.handlers.api.routes import accounts, audit, credentials, inventory, onboarding
from skylight.handlers.dependencies import metrics_sink
from skylight.models.api import UNION_TAGS
from skylight.models.errors import InvalidRequest, MethodNotAllowed, NotFound, SkylightError
from skylight.models.metrics import API_REFUSALS

logger = Logger()

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(onboarding.router)
app.include_router(accounts.router)
app.include_router(inventory.router)
app.include_router(credentials.router)
app.include_router(audit.router)


def _error_response(error: SkylightError) -> Response[Any]:
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error.body(),
        headers=error.headers() or None,
    )


def _record_refusal(error: SkylightError) -> None:
    logger.info("request refused", extra={"code": error.code, "status": error.status})
    metrics_sink().record(API_REFUSALS, 1, code=error.code)


@app.exception_handler(SkylightError)
def handle_domain_error(error: SkylightError) -> Response[Any]:
    _record_refusal(error)
    return _error_response(error)


@app.exception_handler(RequestValidationError)
def handle_invalid_request(error: RequestValidationError) -> Response[Any]:
    fields = [_field_error(detail) for detail in error.errors()]
    names = ", ".join(sorted({f["field"] for f in fields}))
    return _error_response(InvalidRequest(f"invalid request: {names}", fields=fields))


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response[Any]:
    # Never a stack trace or an internal message to the client; the log has the details.
    logger.exception("unhandled error")
    return Response(
        status_code=500,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": "internal_error", "message": "something went wrong on our side"}},
    )


@app.not_found
def handle_not_found(_: Exception) -> Response[Any]:
    # Each path also has an `ANY` route, so a method the path does not serve reaches us: 405, with
    # the methods it does serve (RFC 9110), rather than a 404 that says the path does not exist.
    method, path = app.current_event.http_method.upper(), app.current_event.path
    allowed = allowed_methods(path)
    if not allowed:
        return _error_response(NotFound("no such route"))
    response = _error_response(
        MethodNotAllowed(f"{method[:16]} is not allowed here; use {', '.join(allowed)}")
    )
    response.headers["Allow"] = ", ".join(allowed)
    return response


def allowed_methods(path: str) -> list[str]:
    """The methods the routes serve on `path` (none: no route has this path)."""
    return next((methods for pattern, methods in _route_methods() if pattern.fullmatch(path)), [])


@lru_cache(maxsize=1)
def _route_methods() -> list[tuple[re.Pattern[str], list[str]]]:
    """(path pattern, methods) of every route, from the resolver's own document: one source of truth.
    Built on the first unknown method a container sees, never on the way of a served request."""
    table = []
    for template, item in (app.get_openapi_schema().paths or {}).items():
        methods = [
            m.upper() for m in ("get", "post", "put", "patch", "delete") if getattr(item, m) is not None
        ]
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        table.append((re.compile(pattern), methods))
    return table


def _field_error(detail: dict[str, Any]) -> dict[str, str]:
    """Name the offending field as a client wrote it (`credentials.role_arn`), never echo its value."""
    location = [str(part) for part in detail.get("loc", ()) if part not in ("body", "query", "path")]
    if detail.get("type") == "json_invalid":
        return {"field": "body", "message": "body is not valid JSON"}
    # Pydantic names the union member or literal in the path; keep the field names only.
    field = (
        ".".join(
            part for part in location if (not part.isdigit() or len(location) == 1) and part not in UNION_TAGS
        )
        or "body"
    )
    if detail.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        # The discriminator itself is what is wrong: `provider`, or `credentials.type`.
        tag = str((detail.get("ctx") or {}).get("discriminator", "'type'")).strip("'")
        field = tag if field == "body" and tag != "type" else f"{field}.{tag}"
    # An unknown field's name is the client's own text: keep it short in the answer.
    return {"field": field[:100], "message": str(detail.get("msg", "invalid"))}


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False, clear_state=True
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Who may call comes first: a request that fails it is never parsed or validated.
    try:
        caller = authorize(event, get_settings())
    except SkylightError as error:
        _record_refusal(error)
        return {
            "statusCode": error.status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(error.body()),
            "isBase64Encoded": False,
        }
    # Every line of the request names the tenant it is for (the request id is the correlation id).
    logger.append_keys(tenant_id=caller.tenant_id)
    app.append_context(caller=caller)
    return app.resolve(_as_json_request(event), context)


def _as_json_request(event: dict[str, Any]) -> dict[str, Any]:
    """The API speaks JSON only: a body is parsed as JSON whatever Content-Type the client sent."""
    if event.get("body"):
        headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
        event = {**event, "headers": {**headers, "content-type": content_types.APPLICATION_JSON}}
    return event
