"""Use cases on connected accounts: connect, list, read, update, test, replace credentials,
disconnect, restore, and the age of stored credentials."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger

from skylight.dal.base import ConcurrentUpdate, Page, TooManyAccounts
from skylight.logic.audit import recorded
from skylight.logic.limits import require_room_for_an_account, take_validation, too_many_accounts
from skylight.logic.services import Services
from skylight.logic.tenants import tenant_context
from skylight.models.domain import (
    DEFAULT_CRAWL_INTERVAL_MINUTES,
    Access,
    Account,
    AccountStatus,
    Caller,
    CredentialAge,
    CredentialAgeSource,
    CredentialAgeStatus,
    StepOutcome,
    ValidationReport,
    ValidationStep,
)
from skylight.models.errors import (
    AccountDisconnected,
    AccountNotDisconnected,
    AlreadyConnected,
    Conflict,
    InvalidRequest,
    NotFound,
    RetryLater,
    ValidationFailed,
)
from skylight.models.metrics import VALIDATIONS
from skylight.models.secrets import SealedSecret, SecretScope
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
    take_validation(services, caller)
    require_room_for_an_account(services, caller.tenant_id)
    with recorded(services, caller, "account.connect") as audit:
        audit.details = {"provider": provider_name, "credentials_type": str(credentials.get("type"))}
        provider = services.provider(provider_name)
        parsed = _parse(provider, credentials)
        connection_key = _connection_key(provider, parsed, access)
        owner = services.accounts.connection_owner(caller.tenant_id, connection_key)
        if owner is not None:
            raise AlreadyConnected(
                "these credentials are already connected with this access level", account_id=owner
            )
        report = _measured(
            services,
            provider,
            provider.validate(parsed, access, tenant_context(services, caller.tenant_id, provider.name)),
        )
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
            **_validation_fields(report, now, {}),
            **_credential_fields(parsed, report, now),
        )
        audit.target = account.id
        try:
            services.accounts.create(
                account, _seal(services, account, parsed, version=1), most=services.tenant_limits.accounts
            )
        except TooManyAccounts:  # others were connected while this one was validated
            raise too_many_accounts(services) from None
    logger.info("account connected", extra={"account_id": account.id, "provider": provider.name})
    schedule_crawls(services, account)
    _start_workflow(services, account, "connect")
    return account


def list_accounts(services: Services, caller: Caller, limit: int, cursor: str | None) -> Page[Account]:
    return services.accounts.list(caller.tenant_id, limit, cursor, services.clock())


def all_accounts(services: Services, tenant_id: str) -> Iterator[Account]:
    """Every account of the tenant that has not aged out, page after page."""
    cursor = None
    while True:
        page = services.accounts.list(tenant_id, 100, cursor, services.clock())
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def get_account(services: Services, caller: Caller, account_id: str) -> Account:
    """The caller's account; another tenant's account is indistinguishable from a missing one."""
    return _found(services.accounts.get(caller.tenant_id, account_id, services.clock()))


def workflow_account(account: Account | None) -> Account:
    """An account the workflow read itself (None: missing or expired); NotFound or
    AccountDisconnected when the cloud must not be called."""
    return require_active(_found(account))


def _found(account: Account | None) -> Account:
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

    with recorded(services, caller, "account.update", account_id) as audit:
        audit.details = {"changed": sorted(changes), **_shown(changes, "crawl_interval_minutes")}
        account = _save_change(services, caller, account_id, update, services.accounts.update)
        if crawl_interval_minutes is not None:
            # The new interval is saved; a schedule that fails to follow (a disconnect deleted it
            # meanwhile, the Scheduler is down) is logged and made again by the next update or crawl.
            schedule_crawls(services, account)
    return account


def _shown(changes: dict[str, Any], *names: str) -> dict[str, Any]:
    """The changed values fit for the audit trail (names are the tenant's own words: not repeated)."""
    return {name: changes[name] for name in names if name in changes}


def test_account(services: Services, caller: Caller, account_id: str) -> tuple[Account, ValidationReport]:
    """Re-run validation now, as the tenant asked, and record the outcome on the account."""
    take_validation(services, caller)
    return _test_account(services, caller, account_id)


def retest_account(services: Services, caller: Caller, account_id: str) -> tuple[Account, ValidationReport]:
    """Validate again as part of a larger request that took its own limit (External ID rotation)."""
    return _test_account(services, caller, account_id)


def _test_account(services: Services, caller: Caller, account_id: str) -> tuple[Account, ValidationReport]:
    with recorded(services, caller, "account.test", account_id) as audit:
        account = _active_account(services, caller, account_id)
        provider = services.provider(account.provider)
        report = _measured(
            services,
            provider,
            provider.validate_account(account, tenant_context(services, caller.tenant_id, account.provider)),
        )
        audit.details = {"result": report.result}
        now = services.clock()
        changes: dict[str, Any] = {
            "updated_at": now,
            **_validation_fields(report, now, account.provider_state),
        }
        if report.connected:
            changes["status"] = AccountStatus.CONNECTED
            if report.credentials_age_source is CredentialAgeSource.PROVIDER:
                changes["credentials_created_at"] = report.credentials_created_at
                changes["credentials_age_source"] = report.credentials_age_source
        elif not report.retryable:
            changes["status"] = AccountStatus.FAILING

        def record(latest: Account) -> Account:
            # Validation took a while: a disconnect that landed meanwhile wins over its outcome.
            return require_active(latest).model_copy(update=changes)

        saved = _save_change(services, caller, account_id, record, services.accounts.update, first=account)
    return saved, report


def replace_credentials(
    services: Services, caller: Caller, account_id: str, credentials: dict[str, Any]
) -> Account:
    """Switch to new credentials only once they work; until then (and if they fail) the old ones stay."""
    take_validation(services, caller)
    with recorded(services, caller, "account.credentials.replace", account_id) as audit:
        account = _active_account(services, caller, account_id)
        audit.details = {"credentials_type": str(credentials.get("type"))}
        provider = services.provider(account.provider)
        parsed = _parse_same_type(provider, account, credentials)
        changes, sealed = _validated_switch(services, provider, account, parsed)
        stored_key = [account.connection_key]

        def switch(latest: Account) -> Account:
            stored_key[0] = latest.connection_key
            return require_active(latest).model_copy(update=changes)

        def save(changed: Account) -> Account:
            return services.accounts.replace_credentials(changed, stored_key[0], sealed)

        saved = _save_change(services, caller, account_id, switch, save, first=account)
    logger.info("credentials replaced", extra={"account_id": account_id})
    return saved


def _workflow_caller(tenant_id: str) -> Caller:
    """The workflow acts for the platform, inside one tenant."""
    return Caller(tenant_id=tenant_id, subject="workflow", roles=frozenset({"admin"}))


def load_active_account(services: Services, tenant_id: str, account_id: str) -> Account:
    """The workflow's account; NotFound or AccountDisconnected when the cloud must not be called."""
    return _active_account(services, _workflow_caller(tenant_id), account_id)


def revalidate_account(
    services: Services, tenant_id: str, account_id: str
) -> tuple[Account, ValidationReport]:
    """The workflow's validation of an account (the platform's own: no tenant limit applies)."""
    return _test_account(services, _workflow_caller(tenant_id), account_id)


def disconnect_account(services: Services, caller: Caller, account_id: str) -> Account:
    """Stop using the account now, destroy its stored secret, keep its data until retention ends."""

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

    with recorded(services, caller, "account.disconnect", account_id):
        account = _save_change(services, caller, account_id, disconnect, services.accounts.disconnect)
        _after_disconnect(services, account)
    logger.info("account disconnected", extra={"account_id": account.id})
    return account


def restore_account(
    services: Services, caller: Caller, account_id: str, credentials: dict[str, Any] | None
) -> Account:
    """Bring a disconnected account back with its history, once its credentials work again.

    A role is simply validated again; a stored key was destroyed at disconnect, so new credentials
    must come with the request.
    """
    take_validation(services, caller)
    require_room_for_an_account(services, caller.tenant_id)
    with recorded(services, caller, "account.restore", account_id):
        account = get_account(services, caller, account_id)
        if account.status is not AccountStatus.DISCONNECTED:
            raise AccountNotDisconnected("the account is not disconnected")
        provider = services.provider(account.provider)
        parsed = _restore_credentials(provider, account, credentials)
        changes, sealed = _validated_switch(services, provider, account, parsed)
        changes.update(disconnected_at=None, retained_until=None)

        def restore(latest: Account) -> Account:
            if latest.status is not AccountStatus.DISCONNECTED:
                raise AccountNotDisconnected("the account is not disconnected")
            return latest.model_copy(update=changes)

        def save(changed: Account) -> Account:
            try:
                return services.accounts.restore(changed, sealed, most=services.tenant_limits.accounts)
            except TooManyAccounts:
                raise too_many_accounts(services) from None

        saved = _save_change(services, caller, account_id, restore, save, first=account)
        _after_restore(services, saved)
    logger.info("account restored", extra={"account_id": account_id})
    _start_workflow(services, saved, "restore")
    return saved


def attention(services: Services, account: Account) -> dict[str, Any]:
    """What needs the tenant's attention on one account's connection: status, credential age, External ID.

    Part of the account's health (`skylight.logic.inventory`), next to what the crawls found.
    """
    age = credential_age(services, account)
    warnings = []
    if account.status is not AccountStatus.CONNECTED:
        warnings.append(f"account is {account.status.value}")
    if age and age.status is not CredentialAgeStatus.OK:
        warnings.append(f"credentials are {age.age_days} days old: {age.status.value}")
    extra: dict[str, Any] = {}
    if account.status is not AccountStatus.DISCONNECTED:
        # Read only if the provider asks (AWS: roles only): a key account's health costs no tenant read.
        tenant = partial(tenant_context, services, account.tenant_id, account.provider)
        extra, provider_warnings = services.provider(account.provider).account_attention(account, tenant)
        warnings.extend(provider_warnings)
    return {"credential_age": age, "external_id": None, **extra, "warnings": warnings}


def _validated_switch(
    services: Services, provider: CloudProvider, account: Account, parsed: ParsedCredentials
) -> tuple[dict[str, Any], SealedSecret | None]:
    """Validate credentials meant to take over an existing account; return its changes and new secret.

    Raises (422, 409, 503) without touching anything stored when they do not work, belong to another
    provider account, or are already connected elsewhere in the tenant.
    """
    connection_key = _require_free_key(services, provider, parsed, account)
    report = _measured(
        services,
        provider,
        provider.validate(
            parsed, account.access, tenant_context(services, account.tenant_id, account.provider)
        ),
    )
    _raise_if_failed(report)
    _require_same_provider_account(account, report)
    now = services.clock()
    changes: dict[str, Any] = {
        "status": AccountStatus.CONNECTED,
        "credentials": parsed.public,
        "connection_key": connection_key,
        "updated_at": now,
        **_validation_fields(report, now, account.provider_state),
        **_credential_fields(parsed, report, now),
    }
    return changes, _seal(services, account, parsed, version=account.version + 1)


def _after_disconnect(services: Services, account: Account) -> None:
    """Everything that must stop calling the cloud for this account, besides its status.

    Its schedule goes, so nothing is started for it any more; a crawl that is running is stopped (its
    execution, and every region before its next call). Every crawl step refuses the account too.
    """
    # Crawls build on this module's use cases: imported here, not at the top, to keep one direction.
    from skylight.logic.crawls import stop_running_crawl

    services.schedules.delete(account.id)
    stop_running_crawl(services, account.tenant_id, account.id)


def _after_restore(services: Services, account: Account) -> None:
    """Everything that resumes for a restored account: its schedule is created again here."""
    schedule_crawls(services, account)


def credential_age(services: Services, account: Account) -> CredentialAge | None:
    """How old the account's stored secret is; None for accounts that store none (roles)."""
    if not account.has_stored_secret or account.credentials_created_at is None:
        return None
    assert account.credentials_age_source is not None
    age = services.clock() - account.credentials_created_at
    status = CredentialAgeStatus.OK
    if age >= services.credential_rotate_after:
        status = CredentialAgeStatus.ROTATE_NOW
    elif age >= services.credential_warn_after:
        status = CredentialAgeStatus.WARNING
    return CredentialAge(
        created_at=account.credentials_created_at,
        source=account.credentials_age_source,
        age_days=age.days,
        status=status,
        warn_after_days=services.credential_warn_after.days,
        rotate_after_days=services.credential_rotate_after.days,
    )


_URGENCY = {CredentialAgeStatus.ROTATE_NOW: 0, CredentialAgeStatus.WARNING: 1}


def credentials_needing_rotation(services: Services, caller: Caller) -> list[tuple[Account, CredentialAge]]:
    """The tenant's stored credentials that need attention: "rotate now" first, then oldest first."""
    due = []
    for account in all_accounts(services, caller.tenant_id):
        age = credential_age(services, account)
        if account.status is not AccountStatus.DISCONNECTED and age and age.status in _URGENCY:
            due.append((account, age))
    return sorted(due, key=lambda item: (_URGENCY[item[1].status], -item[1].age_days))


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
            "the account is disconnected; restore it to use it again",
            retained_until=account.retained_until.isoformat() if account.retained_until else None,
        )
    return account


def _active_account(services: Services, caller: Caller, account_id: str) -> Account:
    return require_active(get_account(services, caller, account_id))


def _connection_key(provider: CloudProvider, parsed: ParsedCredentials, access: Access) -> str:
    return f"{provider.name}:{parsed.key}:{access.value}"


def _parse(provider: CloudProvider, credentials: dict[str, Any]) -> ParsedCredentials:
    try:
        return provider.parse_credentials(credentials)
    except InvalidRequest as error:
        step = ValidationStep(name="parse_credentials", outcome=StepOutcome.FAILED, message=error.message)
        error.details["steps"] = [step.model_dump(mode="json")]
        raise


def _parse_same_type(
    provider: CloudProvider, account: Account, credentials: dict[str, Any]
) -> ParsedCredentials:
    expected = account.credentials["type"]
    if credentials.get("type") != expected:
        raise InvalidRequest(
            f"this account connects with credentials of type '{expected}'",
            fields=[{"field": "credentials.type", "message": f"must be '{expected}'"}],
        )
    return _parse(provider, credentials)


def _restore_credentials(
    provider: CloudProvider, account: Account, credentials: dict[str, Any] | None
) -> ParsedCredentials:
    if credentials is not None:
        return _parse_same_type(provider, account, credentials)
    if account.has_stored_secret:
        raise InvalidRequest(
            "the stored credentials were destroyed when the account was disconnected; send new ones",
            fields=[{"field": "credentials", "message": "required to restore this account"}],
        )
    return provider.parse_credentials(account.credentials)


def _require_free_key(
    services: Services, provider: CloudProvider, parsed: ParsedCredentials, account: Account
) -> str:
    connection_key = _connection_key(provider, parsed, account.access)
    owner = services.accounts.connection_owner(account.tenant_id, connection_key)
    if owner is not None and owner != account.id:
        raise AlreadyConnected(
            "these credentials are already connected with this access level", account_id=owner
        )
    return connection_key


def _require_same_provider_account(account: Account, report: ValidationReport) -> None:
    if account.provider_account_id and report.provider_account_id != account.provider_account_id:
        raise ValidationFailed(
            "identity_mismatch",
            f"the new credentials belong to account {report.provider_account_id}, not to "
            f"{account.provider_account_id}; connect that account separately",
            steps=[step.model_dump(mode="json") for step in report.steps],
        )


def _seal(
    services: Services, account: Account, parsed: ParsedCredentials, version: int
) -> SealedSecret | None:
    if parsed.secret is None or parsed.purpose is None:
        return None
    scope = SecretScope(tenant_id=account.tenant_id, account_id=account.id, purpose=parsed.purpose)
    return services.vault.seal(scope, parsed.secret, version, services.clock())


def _credential_fields(parsed: ParsedCredentials, report: ValidationReport, now: datetime) -> dict[str, Any]:
    """Stored secrets: when they were created (the provider's date, else now) and replaced."""
    if parsed.secret is None:
        return {
            "credentials_created_at": None,
            "credentials_age_source": None,
            "credentials_updated_at": None,
        }
    return {
        "credentials_created_at": report.credentials_created_at or now,
        "credentials_age_source": report.credentials_age_source or CredentialAgeSource.UPLOAD,
        "credentials_updated_at": now,
    }


def _measured(services: Services, provider: CloudProvider, report: ValidationReport) -> ValidationReport:
    """`report`, once its outcome is counted (connected, or the error code)."""
    services.metrics.record(VALIDATIONS, 1, provider=provider.name, outcome=report.result)
    return report


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


def _validation_fields(report: ValidationReport, now: datetime, recorded: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "steps": report.steps,
        "last_validated_at": now,
        "last_validation_result": report.result,
    }
    if report.provider_state:
        # Recorded even if later checks failed (AWS: the External ID the role let the platform in
        # with, which a rotation must know for every account, working or not).
        fields["provider_state"] = {**recorded, **report.provider_state}
    if report.connected:
        fields.update(provider_account_id=report.provider_account_id, permissions=report.permissions)
    return fields


def schedule_crawls(services: Services, account: Account) -> None:
    """Create or update the account's crawl schedule. Like the first crawl, the account works without
    it: a failure is logged, and the next update, restore or on-demand crawl makes it again."""
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
