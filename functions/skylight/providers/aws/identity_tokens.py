"""Identity tokens minted by AWS STS as the platform principal (outbound identity federation)."""

from __future__ import annotations

from functools import cached_property

from skylight.config import get_settings
from skylight.providers.aws.gateway import Boto3AwsGateway


class PlatformIdentityTokens:
    """The platform principal's STS session mints the tokens; the gateway is made on first use."""

    def __init__(self, gateway: Boto3AwsGateway | None = None) -> None:
        self._given = gateway

    @cached_property
    def _gateway(self) -> Boto3AwsGateway:
        settings = get_settings()
        return self._given or Boto3AwsGateway(settings.platform_principal_arn, settings.region)

    def web_identity_token(self, audience: str, duration_seconds: int) -> str:
        return self._gateway.web_identity_token(audience, duration_seconds)
