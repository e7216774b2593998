"""Wiring: the production implementations of every outside system, built once per container."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from skylight.config import get_settings
from skylight.dal.dynamodb import DynamoAccountRepository, DynamoAuditRepository, DynamoTenantRepository
from skylight.gateways.workflow import StepFunctionsWorkflowStarter
from skylight.logic.services import Services
from skylight.vault import default_vault


@lru_cache(maxsize=1)
def services() -> Services:
    settings = get_settings()
    return Services(
        tenants=DynamoTenantRepository(settings.table_name, settings.region),
        accounts=DynamoAccountRepository(settings.table_name, settings.region),
        workflow=StepFunctionsWorkflowStarter(settings.state_machine_arn, settings.region),
        retention=timedelta(days=settings.retention_days),
        vault=default_vault(),
        audit=DynamoAuditRepository(settings.table_name, settings.region),
        credential_warn_after=timedelta(days=settings.credential_warn_days),
        credential_rotate_after=timedelta(days=settings.credential_rotate_days),
    )
