"""HTTP API: JWT on every route, parameters for issuer/audience, access logs and throttling."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match, Template

from infra.constructs.api import (
    ACCESS_LOG_FIELDS,
    ROUTES,
    STANDARD_METHODS,
    THROTTLE_BURST_LIMIT,
    THROTTLE_RATE_LIMIT,
    HttpMethod,
    unserved_methods,
)


def test_every_declared_route_exists_and_nothing_else(view):
    # Given the route table of the api construct, and one ANY route per path for the other methods
    expected = {f"{method.value} {path}" for method, path in ROUTES} | {f"ANY {path}" for _, path in ROUTES}

    # When reading the routes of the template
    routes = {route["Properties"]["RouteKey"] for route in view.of_type("AWS::ApiGatewayV2::Route").values()}

    # Then they are exactly the declared ones
    assert routes == expected
    assert len(ROUTES) == 19
    assert len(routes) == 19 + 15


def test_with_cors_the_unserved_methods_are_routed_one_by_one_and_preflight_is_left_to_api_gateway():
    # Given an API that answers browsers' CORS preflight itself
    routes = unserved_methods(cors=True)

    # Then no route takes OPTIONS (an ANY route behind the authorizer would turn preflight into 401s),
    # and every standard method a path does not serve still reaches the function for its 405
    assert all(
        HttpMethod.ANY not in methods and HttpMethod.OPTIONS not in methods for methods in routes.values()
    )
    served = {(method, path) for method, path in ROUTES}
    for path, methods in routes.items():
        assert {m for m in STANDARD_METHODS if (m, path) not in served} == set(methods)
    assert routes["/v1/accounts/{id}"] == [HttpMethod.POST, HttpMethod.PUT, HttpMethod.HEAD]


def test_every_route_requires_the_jwt_authorizer(view):
    authorizer_id = next(iter(view.of_type("AWS::ApiGatewayV2::Authorizer")))

    for route in view.of_type("AWS::ApiGatewayV2::Route").values():
        assert route["Properties"]["AuthorizationType"] == "JWT", route["Properties"]["RouteKey"]
        assert route["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}


def test_every_route_goes_to_the_api_function(view):
    integrations = view.of_type("AWS::ApiGatewayV2::Integration")
    assert len(integrations) == 1
    (integration_id, integration), *_ = integrations.items()
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [view.ids["ApiFunction"], "Arn"]}
    for route in view.of_type("AWS::ApiGatewayV2::Route").values():
        assert route["Properties"]["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}


def test_authorizer_reads_issuer_and_audience_from_parameters(template: Template):
    template.has_parameter("JwtIssuer", {"Type": "String"})
    template.has_parameter("JwtAudience", {"Type": "CommaDelimitedList"})
    template.resource_count_is("AWS::ApiGatewayV2::Authorizer", 1)
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": {"Ref": "JwtIssuer"}, "Audience": {"Ref": "JwtAudience"}},
        },
    )


def test_default_stage_logs_json_access_logs_and_throttles(view):
    stage = view.properties("HttpStage")

    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": THROTTLE_BURST_LIMIT,
        "ThrottlingRateLimit": THROTTLE_RATE_LIMIT,
    }
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format == ACCESS_LOG_FIELDS
    assert {"requestId", "ip", "status", "routeKey", "integrationError", "authorizerError"} <= set(log_format)
    destination = stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert view.resources[destination]["Type"] == "AWS::Logs::LogGroup"
    assert view.resources[destination]["Properties"]["RetentionInDays"] > 0


def test_api_url_output_points_at_the_default_stage(template: Template):
    template.has_output(
        "ApiUrl",
        {
            "Value": {
                "Fn::Join": [
                    "",
                    Match.array_with(["https://", Match.object_like({"Ref": Match.any_value()})]),
                ]
            }
        },
    )


def test_no_cors_unless_frontend_origins_are_configured(view):
    (api,) = view.of_type("AWS::ApiGatewayV2::Api").values()
    assert "CorsConfiguration" not in api["Properties"]


def test_configured_frontend_origins_get_cors_for_the_api_methods():
    from infra.synth import build_app

    app, stack = build_app(
        context={"corsAllowedOrigins": "https://app.example.com, https://admin.example.com"}
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (api,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    cors = api["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://app.example.com", "https://admin.example.com"]
    assert set(cors["AllowHeaders"]) == {"authorization", "content-type"}
    assert set(cors["AllowMethods"]) == {"GET", "POST", "PATCH", "PUT", "DELETE"}
