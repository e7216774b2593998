"""The composition root: the production implementation of every outside system, wired in one place.

`services()` is what every function uses, built once per container from the settings; the benchmark
calls `build_services` with its own stand-ins for the workflow and the schedules and its latency
hooks on the AWS clients. The implementations (PynamoDB, boto3) are imported on the first call, not
with the handler module: a function pays for the SDKs when it first uses them, and importing a
handler stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skylight.config import Settings, get_settings
from skylight.dal.cursors import CursorSigner
from skylight.gateways.schedules import CrawlScheduler
from skylight.gateways.workflow import WorkflowStarter
from skylight.logic.services import Services, TenantLimits

if TYPE_CHECKING:
    from skylight.gateways.metrics import MetricsSink


@lru_cache(maxsize=1)
def services() -> Services:
    return build_services(get_settings())


@lru_cache(maxsize=1)
def metrics_sink() -> MetricsSink:
    """The deployment's metrics: a request refused before any work publishes its refusal without
    building (and importing) every other service."""
    from skylight.gateways.metrics import EmfMetrics

    return EmfMetrics()


@lru_cache(maxsize=1)
def cursor_signer() -> CursorSigner:
    """The deployment's signer: its KMS HMAC key from the settings (no call until the first cursor)."""
    from skylight.gateways.cursor_keys import KmsCursorKey

    settings = get_settings()
    return CursorSigner(KmsCursorKey(settings.cursor_key_id, settings.region))


def build_services(
    settings: Settings,
    *,
    workflow: WorkflowStarter | None = None,
    schedules: CrawlScheduler | None = None,
    aws_event_hooks: tuple[tuple[str, Callable[..., Any]], ...] = (),
    listing_concurrency: int | None = None,
) -> Services:
    """Every outside system for `settings`; `workflow` and `schedules` replace the deployed ones, and
    `aws_event_hooks` see every call the AWS provider makes (the benchmark's latency)."""
    from skylight.dal.dynamodb import (
        DynamoAccountRepository,
        DynamoAuditRepository,
        DynamoRateLimits,
        DynamoTenantRepository,
    )
    from skylight.dal.dynamodb_inventory import DynamoCrawlRepository, DynamoInventoryRepository
    from skylight.gateways.schedules import EventBridgeCrawlScheduler
    from skylight.gateways.workflow import StepFunctionsWorkflowStarter
    from skylight.providers.aws.gateway import Boto3AwsGateway
    from skylight.providers.aws.provider import AwsProvider
    from skylight.providers.base import get_provider
    from skylight.vault import default_vault

    # One signer for every listing: the cursor key is derived on the first cursor, once per container.
    cursors = cursor_signer()
    vault = default_vault()
    # One gateway: the platform principal's session serves the AWS provider and the identity tokens.
    gateway = Boto3AwsGateway(settings.platform_principal_arn, settings.region, event_hooks=aws_event_hooks)
    aws = AwsProvider(
        gateway=gateway,
        platform_principal_arn=settings.platform_principal_arn,
        vault=vault,
        listing_concurrency=listing_concurrency,
    )

    def provider(name: str) -> Any:
        return aws if name == aws.name else get_provider(name)

    return Services(
        tenants=DynamoTenantRepository(settings.table_name, settings.region),
        accounts=DynamoAccountRepository(
            settings.table_name, settings.region, cursors, settings.secret_table
        ),
        workflow=workflow or StepFunctionsWorkflowStarter(settings.state_machine_arn, settings.region),
        inventory=DynamoInventoryRepository(settings.table_name, settings.region, cursors),
        crawls=DynamoCrawlRepository(settings.table_name, settings.region, cursors),
        schedules=schedules
        or EventBridgeCrawlScheduler(
            settings.schedule_group_name,
            settings.state_machine_arn,
            settings.scheduler_role_arn,
            settings.region,
        ),
        provider=provider,
        retention=timedelta(days=settings.retention_days),
        vault=vault,
        audit=DynamoAuditRepository(settings.table_name, settings.region, cursors),
        credential_warn_after=timedelta(days=settings.credential_warn_days),
        credential_rotate_after=timedelta(days=settings.credential_rotate_days),
        limits=DynamoRateLimits(settings.table_name, settings.region),
        tenant_limits=TenantLimits(
            accounts=settings.max_accounts_per_tenant,
            validations_per_minute=settings.validations_per_minute,
            crawl_requests_per_hour=settings.crawl_requests_per_hour,
        ),
        identity_tokens=gateway,
        metrics=metrics_sink(),
        federation_issuer=settings.outbound_issuer,
        federation_subject=settings.platform_principal_arn,
    )
