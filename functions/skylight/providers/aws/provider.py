"""AWS behind the provider contract: cross-account roles with an External ID, or stored access keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cached_property, partial
from typing import Any

from skylight.config import get_settings
from skylight.crawling.stopping import ACCOUNT_DISCONNECTED, DISCONNECTED_MESSAGE
from skylight.models.domain import Access, Account, ValidationReport
from skylight.models.errors import CredentialsUnavailable, InvalidRequest, RetryLater
from skylight.models.inventory import GLOBAL_SEGMENT, RecordedListing, TypeListing
from skylight.models.secrets import SecretScope
from skylight.providers.aws.access_keys import (
    PURPOSE,
    AccessKey,
    open_access_key,
    parse_access_key,
    validate_access_key,
)
from skylight.providers.aws.arn import RoleArnError, parse_role_arn
from skylight.providers.aws.crawler import RegionCrawler, modules_for
from skylight.providers.aws.external_ids import ExternalIds, rotation_status
from skylight.providers.aws.gateway import AwsCallError, AwsGateway, Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.onboarding import onboarding_kit
from skylight.providers.aws.validation import validate_role
from skylight.providers.base import CloudProvider, ParsedCredentials, TenantContext
from skylight.vault.envelope import Vault

ROLE = "role"
ACCESS_KEY = "access_key"
CRAWL_SESSION_NAME = "skylight-inventory"


class AwsProvider(CloudProvider):
    name = "aws"

    def __init__(
        self,
        gateway: AwsGateway | None = None,
        platform_principal_arn: str | None = None,
        vault: Vault | None = None,
        listing_concurrency: int | None = None,
    ) -> None:
        self._gateway = gateway
        self._platform_principal_arn = platform_principal_arn
        self._vault = vault
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

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            from skylight.vault import default_vault

            return default_vault()
        return self._vault

    def parse_credentials(self, credentials: dict[str, Any]) -> ParsedCredentials:
        kind = credentials.get("type")
        if kind == ACCESS_KEY:
            key = parse_access_key(credentials)
            return ParsedCredentials(
                public=key.public(),
                key=f"access_key:{key.access_key_id}",
                secret=key.sealable(),
                purpose=PURPOSE,
            )
        if kind != ROLE:
            raise InvalidRequest(
                "AWS credentials must be of type 'role' or 'access_key'",
                fields=[{"field": "credentials.type", "message": "must be 'role' or 'access_key'"}],
            )
        try:
            role = parse_role_arn(str(credentials.get("role_arn", "")))
        except RoleArnError as error:
            raise InvalidRequest(
                f"credentials.role_arn is not a usable IAM role ARN: {error}",
                fields=[{"field": "credentials.role_arn", "message": str(error)}],
            ) from None
        return ParsedCredentials(public={"type": ROLE, "role_arn": str(role)}, key=role.identity)

    def validate(
        self, credentials: ParsedCredentials, access: Access, tenant: TenantContext
    ) -> ValidationReport:
        if credentials.public["type"] == ACCESS_KEY:
            assert credentials.secret is not None
            key = open_access_key(credentials.secret, credentials.public["partition"])
            return validate_access_key(self.gateway, key, access)
        role = parse_role_arn(credentials.public["role_arn"])
        external_ids = ExternalIds.of(tenant.state)
        return validate_role(
            self.gateway,
            role,
            access,
            external_ids.external_id,
            self.platform_principal_arn,
            external_id_generation=external_ids.external_id_generation,
            previous_external_id=external_ids.previous_external_id,
        )

    def validate_account(self, account: Account, tenant: TenantContext) -> ValidationReport:
        if account.credentials["type"] != ACCESS_KEY:
            return super().validate_account(account, tenant)
        with self._stored_key(account) as key:
            return validate_access_key(self.gateway, key, account.access)

    def account_credentials(self, account: Account, tenant: TenantContext) -> TemporaryCredentials:
        """The credentials the crawler uses for a stored account.

        Roles: AssumeRole as the platform principal with the External ID this account works with (the
        previous one while a rotation is under way and the role has not moved yet). Access keys: opened
        from the vault for this call only and returned with `session_token=None`.
        """
        if account.credentials["type"] == ACCESS_KEY:
            with self._stored_key(account) as key:
                return key.credentials()
        external_id = ExternalIds.of(tenant.state).for_generation(
            account.provider_state.get("external_id_generation")
        )
        return self.gateway.assume_role(account.credentials["role_arn"], external_id, CRAWL_SESSION_NAME)

    @contextmanager
    def _stored_key(self, account: Account) -> Iterator[AccessKey]:
        scope = SecretScope(tenant_id=account.tenant_id, account_id=account.id, purpose=PURPOSE)
        with self.vault.open_stored(scope) as plaintext:
            yield open_access_key(plaintext, account.credentials.get("partition", "aws"))

    def new_tenant_state(self) -> dict[str, Any]:
        return ExternalIds.new().state()

    def onboarding_kit(self, tenant: TenantContext, accounts: Callable[[], list[Account]]) -> dict[str, Any]:
        external_ids = ExternalIds.of(tenant.state)
        return {
            **onboarding_kit(
                self.platform_principal_arn,
                external_ids.external_id,
                external_ids.accepted,
                get_settings().onboarding_template_url,
            ),
            "external_id_rotation": rotation_status(external_ids, accounts),
        }

    def account_attention(
        self, account: Account, tenant: Callable[[], TenantContext]
    ) -> tuple[dict[str, Any], list[str]]:
        if account.credentials.get("type") != ROLE:
            return {}, []
        generation = account.provider_state.get("external_id_generation") or 1
        current = generation == ExternalIds.of(tenant().state).external_id_generation
        external_id = {"external_id": {"generation": generation, "current": current}}
        if current:
            return external_id, []
        return external_id, ["works only with the previous External ID: update the role's trust policy"]

    def crawl_plan(self, account: Account, tenant: TenantContext) -> list[str]:
        credentials = self.account_credentials(account, tenant)
        customer = self.gateway.customer_account(credentials, _partition(account), ["ec2"])
        return [GLOBAL_SEGMENT, *customer.enabled_regions()]

    def resource_types(self, segment: str) -> list[str]:
        return [module.type.name for module in modules_for(segment)]

    def crawl_segments(
        self,
        account: Account,
        tenant: TenantContext,
        segments: Mapping[str, Mapping[str, RecordedListing]],
        on_listed: Callable[[str, TypeListing], None] | None = None,
        on_segment_done: Callable[[str, list[TypeListing]], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> dict[str, list[TypeListing]]:
        # AWS's segments are its regions (and `global`). One session of the role for the whole
        # batch: STS credentials hold in every region.
        crawler = RegionCrawler(self.gateway, max_workers=self._listing_concurrency)
        if stop_requested is not None and stop_requested():
            # Not even AssumeRole, which the customer's CloudTrail would show.
            credentials, unreachable = None, (ACCOUNT_DISCONNECTED, DISCONNECTED_MESSAGE)
        else:
            credentials, unreachable = self._crawl_credentials(account, tenant)
        # Set at every successful validation, whatever the credentials' type.
        account_id = account.provider_account_id or ""

        def crawl(region: str) -> list[TypeListing]:
            listed = partial(on_listed, region) if on_listed is not None else None
            if credentials is None:
                # Nothing can be listed without credentials: each type reports why, keeping its items.
                listings = crawler.unreachable(region, *unreachable, on_listed=listed)
            else:
                listings = crawler.list_region(
                    credentials,
                    account_id,
                    _partition(account),
                    region,
                    on_listed=listed,
                    recorded=segments[region],
                    stop_requested=stop_requested,
                )
            if on_segment_done is not None:
                on_segment_done(region, listings)
            return listings

        if len(segments) == 1:
            return {region: crawl(region) for region in segments}
        with ThreadPoolExecutor(max_workers=len(segments), thread_name_prefix="regions") as pool:
            return dict(zip(segments, pool.map(crawl, segments), strict=True))

    def _crawl_credentials(
        self, account: Account, tenant: TenantContext
    ) -> tuple[TemporaryCredentials | None, tuple[str, str]]:
        """The crawl's credentials, or None and the (code, message) every type reports instead."""
        try:
            return self.account_credentials(account, tenant), ("", "")
        except AwsCallError as failure:
            return None, (failure.code, failure.message)
        except RetryLater:  # the vault's key service was busy: nothing is wrong with the stored key
            return None, ("KeyServiceBusy", "the key service was busy")
        except CredentialsUnavailable:
            return None, ("CredentialsUnavailable", "the stored credentials could not be opened")


def _partition(account: Account) -> str:
    arn = account.provider_state.get("identity_arn") or account.credentials.get("role_arn", "")
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else account.credentials.get("partition", "aws")


def create_provider() -> CloudProvider:
    return AwsProvider()
