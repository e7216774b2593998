"""Step Functions tasks of the account workflow: thin wrappers around one logic call each.

Payloads carry identifiers and outcomes only (see `skylight.models.workflow`). Errors are raised
with stable class names so the state machine can Catch them by name.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.handlers.dependencies import services
from skylight.logic import accounts
from skylight.models import errors
from skylight.models.domain import AccountStatus
from skylight.models.workflow import AccountWorkflowInput, ConnectOutput, ValidateOutput

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class AccountDisconnected(Exception):
    """The account was disconnected (or aged out): the workflow must not call the cloud."""


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def connect_account(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Load the account and refuse to go on if it is no longer connected."""
    payload = AccountWorkflowInput.model_validate(event)
    logger.append_keys(account_id=payload.account_id)
    account = services().accounts.get(payload.tenant_id, payload.account_id, services().clock())
    if account is None or account.status is AccountStatus.DISCONNECTED:
        raise AccountDisconnected(payload.account_id)
    return ConnectOutput(**payload.model_dump(), provider=account.provider).model_dump()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def validate_account(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Validate the connection again and record the outcome on the account."""
    payload = AccountWorkflowInput.model_validate(event)
    logger.append_keys(account_id=payload.account_id)
    try:
        account, report = accounts.revalidate_account(services(), payload.tenant_id, payload.account_id)
    except (errors.AccountDisconnected, errors.NotFound) as error:
        raise AccountDisconnected(payload.account_id) from error
    metrics.add_metric(name="AccountValidated", unit="Count", value=1)
    return ValidateOutput(
        tenant_id=payload.tenant_id,
        account_id=payload.account_id,
        result=report.result,
        status=account.status,
    ).model_dump(mode="json")
