"""Step Functions tasks of the account workflow: thin wrappers around one logic call each.

Payloads carry identifiers and outcomes only (see `skylight.models.workflow`). Errors are raised
with stable class names so the state machine can Catch them by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.handlers.dependencies import services
from skylight.logic import accounts
from skylight.models import errors
from skylight.models.workflow import AccountWorkflowInput, ConnectOutput, ValidateOutput

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class AccountDisconnected(Exception):
    """The account was disconnected (or aged out): the workflow must not call the cloud."""


@contextmanager
def _stop_if_gone(payload: AccountWorkflowInput) -> Iterator[None]:
    """Turn "no such account" and "disconnected" into the one error the state machine catches."""
    try:
        yield
    except (errors.AccountDisconnected, errors.NotFound) as error:
        raise AccountDisconnected(payload.account_id) from error


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def connect_account(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Load the account and refuse to go on if it is no longer connected."""
    payload = AccountWorkflowInput.model_validate(event)
    logger.append_keys(account_id=payload.account_id)
    with _stop_if_gone(payload):
        account = accounts.load_active_account(services(), payload.tenant_id, payload.account_id)
    return ConnectOutput(**payload.model_dump(), provider=account.provider).model_dump()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def validate_account(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Validate the connection again and record the outcome on the account."""
    payload = AccountWorkflowInput.model_validate(event)
    logger.append_keys(account_id=payload.account_id)
    with _stop_if_gone(payload):
        account, report = accounts.revalidate_account(services(), payload.tenant_id, payload.account_id)
    metrics.add_metric(name="AccountValidated", unit="Count", value=1)
    return ValidateOutput(
        tenant_id=payload.tenant_id,
        account_id=payload.account_id,
        result=report.result,
        status=account.status,
    ).model_dump(mode="json")
