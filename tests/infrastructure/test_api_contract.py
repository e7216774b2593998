"""The API Gateway routes and the handler's routes are the same set: none unreachable, none unrouted."""

import json
import re

from skylight.handlers.api.openapi import openapi_document


def test_every_gateway_route_is_a_handler_route_and_back(view):
    gateway = {
        (key.split(" ")[0], re.sub(r"\{[^}]+\}", "{}", key.split(" ")[1]))
        for key in (r["Properties"]["RouteKey"] for r in view.of_type("AWS::ApiGatewayV2::Route").values())
    }
    document = json.loads(openapi_document())
    handler = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert gateway == handler
