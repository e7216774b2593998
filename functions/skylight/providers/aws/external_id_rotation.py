"""Rotating a tenant's External ID without cutting anyone off: AWS's own use cases, on AWS's own
routes (`/v1/onboarding/aws/external-id/...`), over the tenant state the AWS provider owns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from aws_lambda_powertools import Logger

from skylight.dal.base import ConcurrentUpdate
from skylight.logic.accounts import retest_account
from skylight.logic.audit import recorded
from skylight.logic.limits import take_validation
from skylight.logic.onboarding import onboarding_kit, provider_accounts
from skylight.logic.services import Services
from skylight.logic.tenants import tenant_of
from skylight.models.domain import Account, Caller, Tenant
from skylight.models.errors import (
    AccountDisconnected,
    Conflict,
    ExternalIdInUse,
    ExternalIdRotationInProgress,
    NoExternalIdRotation,
    NotFound,
)
from skylight.providers.aws.external_ids import ExternalIds, account_ref, on_previous

logger = Logger(child=True)

AWS = "aws"


def rotate_external_id(services: Services, caller: Caller) -> dict[str, Any]:
    """Issue a new External ID; the previous one stays accepted until the rotation completes."""
    with recorded(services, caller, "external_id.rotate") as audit:
        tenant = tenant_of(services, caller.tenant_id, AWS)
        external_ids = ExternalIds.of(tenant.state_of(AWS))
        if external_ids.rotating:
            raise ExternalIdRotationInProgress(
                "a rotation is already under way; complete it first",
                generation=external_ids.external_id_generation,
            )
        rotated = external_ids.rotated(services.clock())
        _save(services, tenant, rotated)
        audit.details = {"generation": rotated.external_id_generation}
    logger.info("external id rotation started", extra={"generation": rotated.external_id_generation})
    return onboarding_kit(services, caller, AWS)


def complete_external_id_rotation(services: Services, caller: Caller, force: bool) -> dict[str, Any]:
    """Retire the previous External ID once no account works only with it (or when forced).

    Accounts not yet seen on the new ID are tested again first: a role whose trust policy was
    updated moves now, without waiting for its next scheduled validation. Every account still on
    the previous ID holds completion up, whatever its status: a failing one (permissions lost, say)
    would otherwise be cut off without a word, and fixing its permissions would no longer be enough.
    """
    take_validation(services, caller)  # one request, however many accounts it tests again
    with recorded(services, caller, "external_id.complete") as audit:
        tenant = tenant_of(services, caller.tenant_id, AWS)
        external_ids = ExternalIds.of(tenant.state_of(AWS))
        if not external_ids.rotating:
            raise NoExternalIdRotation("no External ID rotation is under way")
        _retest(
            services, caller, on_previous(external_ids, provider_accounts(services, caller.tenant_id, AWS))
        )
        blocking = on_previous(external_ids, provider_accounts(services, caller.tenant_id, AWS))
        audit.details = {"forced": force, "accounts_on_previous": [a.id for a in blocking]}
        if blocking and not force:
            raise ExternalIdInUse(
                "these accounts were last let in only with the previous External ID: add the new one to "
                "their trust policies (or disconnect them), or complete with force=true to cut them off",
                accounts=[account_ref(a) for a in blocking],
            )
        completed = external_ids.completed()
        _save(services, tenant, completed)
    logger.info("external id rotation completed", extra={"generation": completed.external_id_generation})
    return {**onboarding_kit(services, caller, AWS), "cut_off_accounts": [account_ref(a) for a in blocking]}


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


def _on_previous(services: Services, caller: Caller, external_ids: ExternalIds) -> list[Account]:
    return on_previous(external_ids, provider_accounts(services, caller.tenant_id, AWS))


def _save(services: Services, tenant: Tenant, external_ids: ExternalIds) -> None:
    try:
        services.tenants.save_provider_state(tenant, AWS, external_ids.state())
    except ConcurrentUpdate:
        raise Conflict("the External ID changed meanwhile; reload and try again") from None
