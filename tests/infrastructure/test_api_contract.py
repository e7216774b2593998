"""The API Gateway routes and the handler's routes are the same set: none unreachable, none unrouted."""

import json
import re

from skylight.handlers.api.openapi import openapi_document


def test_every_gateway_route_is_a_handler_route_and_back(view):
    keys = [r["Properties"]["RouteKey"].split(" ") for r in view.of_type("AWS::ApiGatewayV2::Route").values()]
    gateway = {(method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in keys if method != "ANY"}
    document = json.loads(openapi_document())
    handler = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert gateway == handler


def test_every_path_sends_the_methods_it_does_not_serve_to_the_function(view):
    # The function answers them 405 with `Allow`; API Gateway alone would answer 404.
    keys = [r["Properties"]["RouteKey"].split(" ") for r in view.of_type("AWS::ApiGatewayV2::Route").values()]
    served_paths = {path for method, path in keys if method != "ANY"}
    any_paths = [path for method, path in keys if method == "ANY"]
    assert sorted(any_paths) == sorted(served_paths)
