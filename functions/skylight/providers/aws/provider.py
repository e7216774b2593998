"""AWS behind the provider contract: cross-account roles with an External ID."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from skylight.config import get_settings
from skylight.models.domain import Access, Account, ValidationReport
from skylight.models.errors import InvalidRequest
from skylight.models.inventory import GLOBAL_SEGMENT, TypeListing
from skylight.providers.aws.arn import RoleArnError, parse_role_arn
from skylight.providers.aws.crawler import RegionCrawler, modules_for
from skylight.providers.aws.gateway import AwsGateway, Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.onboarding import onboarding_kit
from skylight.providers.aws.validation import validate_role
from skylight.providers.base import CloudProvider, ParsedCredentials, TenantContext


class AwsProvider(CloudProvider):
    name = "aws"

    def __init__(
        self,
        gateway: AwsGateway | None = None,
        platform_principal_arn: str | None = None,
        listing_concurrency: int | None = None,
    ) -> None:
        self._gateway = gateway
        self._platform_principal_arn = platform_principal_arn
        # None: every type of a region at once; 1 lists one type after another (the benchmark's baseline).
        self._listing_concurrency = listing_concurrency

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

    def account_credentials(self, account: Account, tenant: TenantContext) -> TemporaryCredentials:
        """Credentials for a stored account, held in memory for as long as the caller needs them."""
        role = parse_role_arn(account.credentials["role_arn"])
        return self.gateway.assume_role(str(role), tenant.external_id, f"skylight-crawl-{account.id[:40]}")

    def crawl_plan(self, account: Account, tenant: TenantContext) -> list[str]:
        credentials = self.account_credentials(account, tenant)
        customer = self.gateway.customer_account(credentials, _partition(account), ["ec2"])
        return [GLOBAL_SEGMENT, *customer.enabled_regions()]

    def resource_types(self, region: str) -> list[str]:
        return [module.type.name for module in modules_for(region)]

    def crawl_region(
        self,
        account: Account,
        tenant: TenantContext,
        region: str,
        on_listed: Callable[[TypeListing], None] | None = None,
    ) -> list[TypeListing]:
        credentials = self.account_credentials(account, tenant)
        account_id = account.provider_account_id or parse_role_arn(account.credentials["role_arn"]).account_id
        return RegionCrawler(self.gateway, max_workers=self._listing_concurrency).list_region(
            credentials, account_id, _partition(account), region, on_listed=on_listed
        )


def _partition(account: Account) -> str:
    arn = account.identity_arn or account.credentials.get("role_arn", "")
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def create_provider() -> CloudProvider:
    return AwsProvider()
