"""AWS behind the provider contract: cross-account roles with an External ID."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from skylight.config import get_settings
from skylight.models.domain import Access, ValidationReport
from skylight.models.errors import InvalidRequest
from skylight.providers.aws.arn import RoleArnError, parse_role_arn
from skylight.providers.aws.gateway import AwsGateway, Boto3AwsGateway
from skylight.providers.aws.onboarding import onboarding_kit
from skylight.providers.aws.validation import validate_role
from skylight.providers.base import CloudProvider, ParsedCredentials, TenantContext


class AwsProvider(CloudProvider):
    name = "aws"

    def __init__(self, gateway: AwsGateway | None = None, platform_principal_arn: str | None = None) -> None:
        self._gateway = gateway
        self._platform_principal_arn = platform_principal_arn

    @property
    def platform_principal_arn(self) -> str:
        return self._platform_principal_arn or get_settings().platform_principal_arn

    @cached_property
    def gateway(self) -> AwsGateway:
        """Created on first use so that importing the provider costs no SDK set-up."""
        if self._gateway is None:
            self._gateway = Boto3AwsGateway(self.platform_principal_arn, get_settings().region)
        return self._gateway

    def parse_credentials(self, credentials: dict[str, Any]) -> ParsedCredentials:
        if credentials.get("type") != "role":
            raise InvalidRequest(
                "AWS credentials must be of type 'role'",
                fields=[{"field": "credentials.type", "message": "must be 'role'"}],
            )
        try:
            role = parse_role_arn(str(credentials.get("role_arn", "")))
        except RoleArnError as error:
            raise InvalidRequest(
                f"credentials.role_arn is not a usable IAM role ARN: {error}",
                fields=[{"field": "credentials.role_arn", "message": str(error)}],
            ) from None
        return ParsedCredentials(public={"type": "role", "role_arn": str(role)}, key=str(role))

    def validate(
        self, credentials: ParsedCredentials, access: Access, tenant: TenantContext
    ) -> ValidationReport:
        role = parse_role_arn(credentials.public["role_arn"])
        return validate_role(self.gateway, role, access, tenant.external_id, self.platform_principal_arn)

    def onboarding_kit(self, tenant: TenantContext) -> dict[str, Any]:
        return onboarding_kit(
            self.platform_principal_arn,
            tenant.external_id,
            [tenant.external_id],
            get_settings().onboarding_template_url,
        )


def create_provider() -> CloudProvider:
    return AwsProvider()
