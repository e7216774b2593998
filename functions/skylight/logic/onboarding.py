"""The onboarding kit, and rotating the tenant's External ID without cutting anyone off."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from aws_lambda_powertools import Logger

from skylight.dal.base import ConcurrentUpdate
from skylight.logic.accounts import all_accounts, retest_account
from skylight.logic.audit import recorded
from skylight.logic.limits import take_validation
from skylight.logic.services import Services
from skylight.logic.tenants import context_of, tenant_of
from skylight.models.domain import Account, AccountStatus, Caller, Tenant
from skylight.models.errors import (
    AccountDisconnected,
    Conflict,
    ExternalIdInUse,
    ExternalIdRotationInProgress,
    NoExternalIdRotation,
    NotFound,
)
from skylight.providers.aws.external_ids import new_external_id

logger = Logger(child=True)


def onboarding_kit(services: Services, caller: Caller, provider_name: str) -> dict[str, Any]:
    provider = services.provider(provider_name)
    tenant = tenant_of(services, caller.tenant_id)
    return {
        **provider.onboarding_kit(context_of(tenant)),
        "external_id_rotation": rotation_status(services, tenant),
    }


def rotation_status(services: Services, tenant: Tenant) -> dict[str, Any]:
    """Which generation is current and, during a rotation, which accounts still use the previous ID."""
    return {
        "in_progress": tenant.rotating,
        "generation": tenant.external_id_generation,
        "started_at": tenant.rotation_started_at,
        "accounts_on_previous": [_ref(a) for a in _on_previous(services, tenant)] if tenant.rotating else [],
    }


def rotate_external_id(services: Services, caller: Caller, provider_name: str) -> dict[str, Any]:
    """Issue a new External ID; the previous one stays accepted until the rotation completes."""
    with recorded(services, caller, "external_id.rotate") as audit:
        tenant = tenant_of(services, caller.tenant_id)
        if tenant.rotating:
            raise ExternalIdRotationInProgress(
                "a rotation is already under way; complete it first", generation=tenant.external_id_generation
            )
        rotated = tenant.model_copy(
            update={
                "external_id": new_external_id(),
                "previous_external_id": tenant.external_id,
                "external_id_generation": tenant.external_id_generation + 1,
                "rotation_started_at": services.clock(),
            }
        )
        _save(services, rotated, tenant.external_id_generation)
        audit.details = {"generation": rotated.external_id_generation}
    logger.info("external id rotation started", extra={"generation": rotated.external_id_generation})
    return onboarding_kit(services, caller, provider_name)


def complete_external_id_rotation(
    services: Services, caller: Caller, provider_name: str, force: bool
) -> dict[str, Any]:
    """Retire the previous External ID once no account works only with it (or when forced).

    Accounts not yet seen on the new ID are tested again first: a role whose trust policy was
    updated moves now, without waiting for its next scheduled validation. Every account still on
    the previous ID holds completion up, whatever its status: a failing one (permissions lost, say)
    would otherwise be cut off without a word, and fixing its permissions would no longer be enough.
    """
    take_validation(services, caller)  # one request, however many accounts it tests again
    with recorded(services, caller, "external_id.complete") as audit:
        tenant = tenant_of(services, caller.tenant_id)
        if not tenant.rotating:
            raise NoExternalIdRotation("no External ID rotation is under way")
        _retest(services, caller, _on_previous(services, tenant))
        blocking = _on_previous(services, tenant)
        audit.details = {"forced": force, "accounts_on_previous": [a.id for a in blocking]}
        if blocking and not force:
            raise ExternalIdInUse(
                "these accounts were last let in only with the previous External ID: add the new one to "
                "their trust policies (or disconnect them), or complete with force=true to cut them off",
                accounts=[_ref(a) for a in blocking],
            )
        completed = tenant.model_copy(update={"previous_external_id": None, "rotation_started_at": None})
        _save(services, completed, tenant.external_id_generation)
    logger.info("external id rotation completed", extra={"generation": completed.external_id_generation})
    return {
        **onboarding_kit(services, caller, provider_name),
        "cut_off_accounts": [_ref(a) for a in blocking],
    }


# Validations wait on the network: run several at once so a tenant with many roles stays within
# the API's time limit.
RETEST_CONCURRENCY = 10


def _retest(services: Services, caller: Caller, accounts: list[Account]) -> None:
    def retest(account: Account) -> None:
        # Disconnected meanwhile: it no longer holds the rotation up.
        with suppress(AccountDisconnected, NotFound):
            retest_account(services, caller, account.id)

    with ThreadPoolExecutor(max_workers=RETEST_CONCURRENCY) as pool:
        # list(): wait for all, and let an unexpected error surface here rather than vanish.
        list(pool.map(retest, accounts))


def _on_previous(services: Services, tenant: Tenant) -> list[Account]:
    """Role accounts last let in with an older External ID, whether their other checks passed or not
    (disconnected ones don't count)."""
    return [
        account
        for account in all_accounts(services, tenant.tenant_id)
        if account.status is not AccountStatus.DISCONNECTED
        and account.credentials.get("type") == "role"
        and (account.external_id_generation or 1) < tenant.external_id_generation
    ]


def _ref(account: Account) -> dict[str, str]:
    return {"id": account.id, "name": account.name}


def _save(services: Services, tenant: Tenant, expected_generation: int) -> None:
    try:
        services.tenants.save_external_ids(tenant, expected_generation)
    except ConcurrentUpdate:
        raise Conflict("the External ID changed meanwhile; reload and try again") from None
