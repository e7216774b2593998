"""Step Functions tasks of the account workflow: thin wrappers around one logic call each.

Begin -> Validate -> IsConnected -> Plan -> CrawlSegments (Map: CrawlSegmentBatch per batch of segments)
-> Finish.
Payloads carry identifiers and counts only (see `skylight.models.workflow`). Errors are raised with
stable class names so the state machine can Catch them by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.handlers.dependencies import services
from skylight.logic import accounts, crawls
from skylight.models import errors
from skylight.models.workflow import (
    AccountWorkflowInput,
    BeginInput,
    BeginOutput,
    CrawlInput,
    FinishInput,
    FinishOutput,
    PlanOutput,
    SegmentBatchInput,
    SegmentBatchOutput,
    SegmentOutput,
    ValidateOutput,
)

logger = Logger()


class AccountDisconnected(Exception):
    """The account was disconnected (or aged out): the workflow must not call the cloud."""


@contextmanager
def _stop_if_gone(account_id: str) -> Iterator[None]:
    """Turn "no such account" and "disconnected" into the one error the state machine catches."""
    try:
        yield
    except (errors.AccountDisconnected, errors.NotFound) as error:
        raise AccountDisconnected(account_id) from error


@logger.inject_lambda_context(log_event=False, clear_state=True)
def begin_crawl(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Refuse a disconnected account; take the account's crawl lock (or adopt the API's crawl)."""
    begin = BeginInput.model_validate(event)
    payload = begin.workflow
    logger.append_keys(tenant_id=payload.tenant_id, account_id=payload.account_id)
    with _stop_if_gone(payload.account_id):
        account, crawl, started = crawls.begin_crawl(
            services(),
            payload.tenant_id,
            payload.account_id,
            payload.trigger,
            payload.crawl_id,
            begin.execution_arn,
        )
    logger.append_keys(crawl_id=crawl.id)
    logger.info("crawl begun", extra={"started": started, "trigger": payload.trigger})
    return BeginOutput(
        tenant_id=payload.tenant_id,
        account_id=payload.account_id,
        trigger=payload.trigger,
        crawl_id=crawl.id,
        provider=account.provider,
        already_running=not started,
    ).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
def validate_account(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Validate the connection again and record the outcome on the account."""
    payload = AccountWorkflowInput.model_validate(event)
    logger.append_keys(tenant_id=payload.tenant_id, account_id=payload.account_id, crawl_id=payload.crawl_id)
    with _stop_if_gone(payload.account_id):
        account, report = accounts.revalidate_account(services(), payload.tenant_id, payload.account_id)
    return ValidateOutput(
        tenant_id=payload.tenant_id,
        account_id=payload.account_id,
        result=report.result,
        status=account.status,
    ).model_dump(mode="json")


@logger.inject_lambda_context(log_event=False, clear_state=True)
def plan_crawl(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Plan the crawl in the provider's segments (AWS: the enabled regions, and `global`); the Map
    fans out over batches of them."""
    payload = CrawlInput.model_validate(event)
    logger.append_keys(tenant_id=payload.tenant_id, account_id=payload.account_id, crawl_id=payload.crawl_id)
    with _stop_if_gone(payload.account_id):
        batches = crawls.plan_crawl(services(), payload.tenant_id, payload.account_id, payload.crawl_id)
    return PlanOutput(batches=batches).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
def crawl_segments(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """List a batch of the plan's segments (one, or a few small ones) and commit what changed."""
    payload = SegmentBatchInput.model_validate(event)
    logger.append_keys(
        tenant_id=payload.tenant_id,
        account_id=payload.account_id,
        crawl_id=payload.crawl_id,
        segments=payload.segments,
    )
    with _stop_if_gone(payload.account_id):
        progress = crawls.crawl_segments(
            services(), payload.tenant_id, payload.account_id, payload.crawl_id, payload.segments
        )
    outputs = [
        SegmentOutput(segment=segment, status=each.status, resources=each.resources)
        for segment, each in progress.items()
    ]
    return SegmentBatchOutput(segments=outputs).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
def finish_crawl(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Total the segments, update the account's summary and health, release the crawl lock."""
    payload = FinishInput.model_validate(event)
    logger.append_keys(tenant_id=payload.tenant_id, account_id=payload.account_id, crawl_id=payload.crawl_id)
    crawl = crawls.finish_crawl(
        services(), payload.tenant_id, payload.account_id, payload.crawl_id, payload.failure, payload.provider
    )
    return FinishOutput(crawl_id=crawl.id, status=crawl.status.value, resources=crawl.resources).model_dump()
