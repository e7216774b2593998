"""Use cases on connected accounts: connect, list, read, update, test, disconnect."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from skylight.dal.base import ConcurrentUpdate, Page
from skylight.logic.services import Services
from skylight.logic.tenants import tenant_context
from skylight.models.domain import (
    DEFAULT_CRAWL_INTERVAL_MINUTES,
    Access,
    Account,
    AccountStatus,
    Caller,
    StepOutcome,
    ValidationReport,
    ValidationStep,
)
from skylight.models.errors import (
    AccountDisconnected,
    AlreadyConnected,
    Conflict,
    InvalidRequest,
    NotFound,
    RetryLater,
    ValidationFailed,
)
from skylight.providers.base import CloudProvider, ParsedCredentials

logger = Logger(child=True)


def connect_account(
    services: Services,
    caller: Caller,
    provider_name: str,
    name: str,
    access: Access,
    credentials: dict[str, Any],
    crawl_interval_minutes: int = DEFAULT_CRAWL_INTERVAL_MINUTES,
) -> Account:
    """Validate a new connection synchronously and store it only if it works; schedule its crawls."""
    provider = services.provider(provider_name)
    parsed = _parse(provider, credentials)
    connection_key = f"{provider.name}:{parsed.key}:{access.value}"
    owner = services.accounts.connection_owner(caller.tenant_id, connection_key)
    if owner is not None:
        raise AlreadyConnected("this role is already connected with this access level", account_id=owner)
    report = provider.validate(parsed, access, tenant_context(services, caller.tenant_id))
    _raise_if_failed(report)
    now = services.clock()
    account = Account(
        id=str(uuid.uuid4()),
        tenant_id=caller.tenant_id,
        provider=provider.name,
        name=name,
        access=access,
        status=AccountStatus.CONNECTED,
        credentials=parsed.public,
        connection_key=connection_key,
        connected_at=now,
        updated_at=now,
        crawl_interval_minutes=crawl_interval_minutes,
        **_validation_fields(report, now),
    )
    services.accounts.create(account)
    logger.info("account connected", extra={"account_id": account.id, "provider": provider.name})
    _schedule_crawls(services, account)
    _start_workflow(services, account, "connect")
    return account


def list_accounts(services: Services, caller: Caller, limit: int, cursor: str | None) -> Page:
    return services.accounts.list(caller.tenant_id, limit, cursor, services.clock())


def get_account(services: Services, caller: Caller, account_id: str) -> Account:
    """The caller's account; another tenant's account is indistinguishable from a missing one."""
    account = services.accounts.get(caller.tenant_id, account_id, services.clock())
    if account is None:
        raise NotFound("no such account")
    return account


def update_account(
    services: Services,
    caller: Caller,
    account_id: str,
    name: str | None = None,
    crawl_interval_minutes: int | None = None,
) -> Account:
    """Rename the account and/or change how often it is crawled (its schedule follows)."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if crawl_interval_minutes is not None:
        changes["crawl_interval_minutes"] = crawl_interval_minutes

    def update(account: Account) -> Account:
        return require_active(account).model_copy(update={**changes, "updated_at": services.clock()})

    account = _save_change(services, caller, account_id, update, services.accounts.update)
    if crawl_interval_minutes is not None:
        services.schedules.ensure(account.tenant_id, account.id, account.crawl_interval_minutes)
    return account


def test_account(services: Services, caller: Caller, account_id: str) -> tuple[Account, ValidationReport]:
    """Re-run validation now and record the outcome on the account."""
    account = _active_account(services, caller, account_id)
    provider = services.provider(account.provider)
    parsed = provider.parse_credentials(account.credentials)
    report = provider.validate(parsed, account.access, tenant_context(services, caller.tenant_id))
    now = services.clock()
    changes: dict[str, Any] = {"updated_at": now, **_validation_fields(report, now)}
    if report.connected:
        changes["status"] = AccountStatus.CONNECTED
    elif not report.retryable:
        changes["status"] = AccountStatus.FAILING

    def record(latest: Account) -> Account:
        # Validation took a while: a disconnect that landed meanwhile wins over its outcome.
        return require_active(latest).model_copy(update=changes)

    return _save_change(services, caller, account_id, record, services.accounts.update, first=account), report


def _workflow_caller(tenant_id: str) -> Caller:
    """The workflow acts for the platform, inside one tenant."""
    return Caller(tenant_id=tenant_id, subject="workflow", roles=frozenset({"admin"}))


def load_active_account(services: Services, tenant_id: str, account_id: str) -> Account:
    """The workflow's account; NotFound or AccountDisconnected when the cloud must not be called."""
    return _active_account(services, _workflow_caller(tenant_id), account_id)


def revalidate_account(
    services: Services, tenant_id: str, account_id: str
) -> tuple[Account, ValidationReport]:
    """The workflow's validation of an account."""
    return test_account(services, _workflow_caller(tenant_id), account_id)


def disconnect_account(services: Services, caller: Caller, account_id: str) -> Account:
    """Stop using the account now; keep it readable until its retention ends, then let it age out."""

    def disconnect(account: Account) -> Account | None:
        if account.status is AccountStatus.DISCONNECTED:
            return None  # already disconnected: nothing to write
        now = services.clock()
        return account.model_copy(
            update={
                "status": AccountStatus.DISCONNECTED,
                "disconnected_at": now,
                "retained_until": now + services.retention,
                "updated_at": now,
            }
        )

    account = _save_change(services, caller, account_id, disconnect, services.accounts.disconnect)
    # The account is already disconnected for every crawl step (each checks before calling the cloud);
    # the schedule goes too, so nothing is started for it any more.
    services.schedules.delete(account.id)
    logger.info("account disconnected", extra={"account_id": account.id})
    return account


SAVE_ATTEMPTS = 3


def _save_change(
    services: Services,
    caller: Caller,
    account_id: str,
    change: Callable[[Account], Account | None],
    save: Callable[[Account], Account],
    first: Account | None = None,
) -> Account:
    """Apply `change` to the latest version and save it; on a concurrent write, re-read and re-apply.

    `change` returns None when there is nothing to write.
    """
    account = first or get_account(services, caller, account_id)
    for _ in range(SAVE_ATTEMPTS):
        changed = change(account)
        if changed is None:
            return account
        try:
            return save(changed)
        except ConcurrentUpdate:
            account = get_account(services, caller, account_id)
    raise Conflict("the account kept changing while it was being updated; try again")


def require_active(account: Account) -> Account:
    if account.status is AccountStatus.DISCONNECTED:
        raise AccountDisconnected(
            "the account is disconnected; connect the role again to use it",
            retained_until=account.retained_until.isoformat() if account.retained_until else None,
        )
    return account


def _active_account(services: Services, caller: Caller, account_id: str) -> Account:
    return require_active(get_account(services, caller, account_id))


def _parse(provider: CloudProvider, credentials: dict[str, Any]) -> ParsedCredentials:
    try:
        return provider.parse_credentials(credentials)
    except InvalidRequest as error:
        step = ValidationStep(name="parse_credentials", outcome=StepOutcome.FAILED, message=error.message)
        error.details["steps"] = [step.model_dump(mode="json")]
        raise


def _raise_if_failed(report: ValidationReport) -> None:
    if report.connected:
        return
    details: dict[str, Any] = {
        "steps": [step.model_dump(mode="json") for step in report.steps],
        **report.diagnosis,
    }
    if report.permissions.checks:
        details["permissions"] = report.permissions.summary()
    if report.retryable:
        raise RetryLater(report.message, **details)
    raise ValidationFailed(report.result, report.message, **details)


def _validation_fields(report: ValidationReport, now: datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "steps": report.steps,
        "last_validated_at": now,
        "last_validation_result": report.result,
    }
    if report.connected:
        fields.update(
            provider_account_id=report.provider_account_id,
            identity_arn=report.identity_arn,
            permissions=report.permissions,
        )
    return fields


def _schedule_crawls(services: Services, account: Account) -> None:
    # Like the first crawl: the account works without it, and the next update re-creates it.
    try:
        services.schedules.ensure(account.tenant_id, account.id, account.crawl_interval_minutes)
    except Exception:
        logger.exception("could not create the crawl schedule", extra={"account_id": account.id})


def _start_workflow(services: Services, account: Account, trigger: str) -> None:
    # The account is stored and usable either way; a workflow that fails to start is retried by schedule.
    try:
        services.workflow.start(account.tenant_id, account.id, trigger)
    except Exception:
        logger.exception("could not start the account workflow", extra={"account_id": account.id})
