"""Wiring: the production implementations of every outside system, built once per container.

The implementations (PynamoDB, boto3) are imported on the first call, not with the handler module:
a function pays for the SDKs when it first uses them, and importing a handler stays cheap.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from skylight.config import get_settings
from skylight.logic.services import Services, TenantLimits


@lru_cache(maxsize=1)
def services() -> Services:
    from skylight.dal.cursors import default_signer
    from skylight.dal.dynamodb import (
        DynamoAccountRepository,
        DynamoAuditRepository,
        DynamoRateLimits,
        DynamoTenantRepository,
    )
    from skylight.dal.dynamodb_inventory import DynamoCrawlRepository, DynamoInventoryRepository
    from skylight.gateways.schedules import EventBridgeCrawlScheduler
    from skylight.gateways.workflow import StepFunctionsWorkflowStarter
    from skylight.vault import default_vault

    settings = get_settings()
    # One signer for every listing: the cursor key is derived on the first cursor, once per container.
    cursors = default_signer()
    return Services(
        tenants=DynamoTenantRepository(settings.table_name, settings.region),
        accounts=DynamoAccountRepository(
            settings.table_name, settings.region, cursors, settings.secret_table
        ),
        workflow=StepFunctionsWorkflowStarter(settings.state_machine_arn, settings.region),
        inventory=DynamoInventoryRepository(settings.table_name, settings.region, cursors),
        crawls=DynamoCrawlRepository(settings.table_name, settings.region, cursors),
        schedules=EventBridgeCrawlScheduler(
            settings.schedule_group_name,
            settings.state_machine_arn,
            settings.scheduler_role_arn,
            settings.region,
        ),
        retention=timedelta(days=settings.retention_days),
        vault=default_vault(),
        audit=DynamoAuditRepository(settings.table_name, settings.region, cursors),
        credential_warn_after=timedelta(days=settings.credential_warn_days),
        credential_rotate_after=timedelta(days=settings.credential_rotate_days),
        limits=DynamoRateLimits(settings.table_name, settings.region),
        tenant_limits=TenantLimits(
            accounts=settings.max_accounts_per_tenant,
            validations_per_minute=settings.validations_per_minute,
            crawl_requests_per_hour=settings.crawl_requests_per_hour,
        ),
    )
