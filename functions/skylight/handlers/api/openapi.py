"""Render the API's OpenAPI document from the routes themselves: `python -m skylight.handlers.api.openapi`."""

from __future__ import annotations

import json
import sys

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
    return json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_document())
