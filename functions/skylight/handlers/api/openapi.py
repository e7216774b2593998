"""Render the API's OpenAPI document from the routes themselves: `python -m skylight.handlers.api.openapi`."""

from __future__ import annotations

import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from skylight.handlers.api.app import app

TITLE = "Skylight API"
VERSION = "1.0.0"


def openapi_document() -> str:
    """The document as committed in docs/openapi.json (stable key order, trailing newline)."""
    raw = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="Connect tenants' cloud accounts and see what runs in them. Every route needs a bearer "
        "JWT; the tenant and roles come only from its verified claims.",
        security_schemes={"jwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"jwt": []}],
    )
    return json.dumps(without_default_validation_errors(json.loads(raw)), indent=2, sort_keys=True) + "\n"


def without_default_validation_errors(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the 422 "Validation Error" Powertools adds to every validated route.

    This API answers invalid input with 400 `invalid_request` and the error schema (see
    `app.handle_invalid_request`); a 422 is only ever a refused connection, which routes declare
    themselves. Powertools has no switch for it, so its response and schemas are dropped here.
    """
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            if _is_default_validation_error(responses.get("422")):
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document["paths"])
    for name in _DEFAULT_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)
    return document


_DEFAULT_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _is_default_validation_error(response: dict[str, Any] | None) -> bool:
    schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == "#/components/schemas/HTTPValidationError"


if __name__ == "__main__":
    sys.stdout.write(openapi_document())
