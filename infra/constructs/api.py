"""The HTTP API: every route goes to ApiFunction behind one JWT authorizer."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.encryption import PlatformKey

HttpMethod = apigwv2.HttpMethod

# The public surface of the API, in one place: a new endpoint is one more line here (the function
# routes it internally with Powertools' resolver).
ROUTES: tuple[tuple[apigwv2.HttpMethod, str], ...] = (
    (HttpMethod.GET, "/v1/onboarding/{provider}"),
    (HttpMethod.POST, "/v1/accounts"),
    (HttpMethod.GET, "/v1/accounts"),
    (HttpMethod.GET, "/v1/accounts/{id}"),
    (HttpMethod.PATCH, "/v1/accounts/{id}"),
    (HttpMethod.DELETE, "/v1/accounts/{id}"),
    (HttpMethod.POST, "/v1/accounts/{id}/test"),
    (HttpMethod.POST, "/v1/accounts/{id}/crawls"),
    (HttpMethod.GET, "/v1/accounts/{id}/crawls"),
    (HttpMethod.GET, "/v1/accounts/{id}/crawls/{crawl_id}"),
    (HttpMethod.GET, "/v1/accounts/{id}/inventory"),
    (HttpMethod.GET, "/v1/accounts/{id}/health"),
    (HttpMethod.GET, "/v1/inventory/summary"),
    (HttpMethod.PUT, "/v1/accounts/{id}/credentials"),
    (HttpMethod.POST, "/v1/accounts/{id}/restore"),
    (HttpMethod.GET, "/v1/credentials/rotation"),
    (HttpMethod.POST, "/v1/onboarding/aws/external-id/rotate"),
    (HttpMethod.POST, "/v1/onboarding/aws/external-id/complete"),
    (HttpMethod.GET, "/v1/audit"),
)


# The methods a client may send that a path might not serve (OPTIONS aside: see `unserved_methods`).
STANDARD_METHODS = (
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.PATCH,
    HttpMethod.DELETE,
    HttpMethod.HEAD,
)


def unserved_methods(cors: bool) -> dict[str, list[apigwv2.HttpMethod]]:
    """Per path of ROUTES, the routes that send the methods it does not serve to the function.

    API Gateway prefers a route's own method to ANY, so without CORS one ANY route per path catches
    every other method. With CORS, API Gateway answers preflight OPTIONS itself only where no route
    matches OPTIONS, and an ANY route behind the authorizer would turn every preflight into a 401: the
    standard methods are then routed one by one, and OPTIONS is left to the preflight.
    """
    served: dict[str, set[apigwv2.HttpMethod]] = {}
    for method, path in ROUTES:
        served.setdefault(path, set()).add(method)
    if not cors:
        return {path: [HttpMethod.ANY] for path in served}
    return {path: [m for m in STANDARD_METHODS if m not in methods] for path, methods in served.items()}


# Default-route throttling of the stage (requests per second; burst = bucket size).
THROTTLE_RATE_LIMIT = 100
THROTTLE_BURST_LIMIT = 200

# One JSON object per request; the authorizer's error explains most 401s.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _JsonAccessLogs:
    """Access log settings of a stage (a jsii interface, not a struct, hence this small class)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")))


class SkylightApi(Construct):
    """HttpApi with a JWT authorizer on every route, JSON access logs and default throttling.

    The issuer and audiences come from the caller (deploy-time parameters), so one template serves
    every identity provider.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        jwt_issuer: str,
        jwt_audience: Sequence[str],
        key: PlatformKey,
        cors_allowed_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer", jwt_issuer, jwt_audience=list(jwt_audience)
        )
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"{cdk.Stack.of(self).stack_name}-api",
            description="Skylight: connect cloud accounts to the platform",
            default_authorizer=self.authorizer,
            # The stage below replaces the default one: only it can carry logs and throttling.
            create_default_stage=False,
            cors_preflight=_cors(cors_allowed_origins),
        )
        integration = integrations.HttpLambdaIntegration("ApiIntegration", handler)
        for method, path in ROUTES:
            # The authorizer is also passed explicitly so no route can ever end up without it.
            self.http_api.add_routes(
                path=path, methods=[method], integration=integration, authorizer=self.authorizer
            )
        for path, methods in unserved_methods(cors=bool(cors_allowed_origins)).items():
            # Methods a path does not serve reach the function too, which answers 405 with `Allow`
            # (API Gateway alone would say 404, as if the path did not exist). Behind the same authorizer.
            self.http_api.add_routes(
                path=path, methods=methods, integration=integration, authorizer=self.authorizer
            )
        self.access_logs = key.log_group(self, "AccessLogs")
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=THROTTLE_RATE_LIMIT, burst_limit=THROTTLE_BURST_LIMIT
            ),
            access_log_settings=_JsonAccessLogs(self.access_logs),
        )

    @property
    def url(self) -> str:
        """The API's base URL (the `$default` stage)."""
        url = self.stage.url
        assert url is not None
        return url


def _cors(origins: Sequence[str]) -> apigwv2.CorsPreflightOptions | None:
    """Browser access for the platform's frontend origins only; none configured means no CORS at all.

    API Gateway answers preflight requests itself, before the authorizer, as browsers require.
    """
    if not origins:
        return None
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(origins),
        allow_methods=[
            apigwv2.CorsHttpMethod.GET,
            apigwv2.CorsHttpMethod.POST,
            apigwv2.CorsHttpMethod.PATCH,
            apigwv2.CorsHttpMethod.PUT,
            apigwv2.CorsHttpMethod.DELETE,
        ],
        allow_headers=["authorization", "content-type"],
        max_age=cdk.Duration.hours(1),
    )
