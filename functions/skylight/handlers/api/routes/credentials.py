"""/v1/credentials: stored credentials that need the tenant's attention."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from skylight.handlers.api.routes.common import current_caller, documented, ok
from skylight.handlers.dependencies import services
from skylight.logic import accounts
from skylight.models.api import CredentialRotationItemOut, CredentialRotationOut

router = Router()


@router.get(
    "/v1/credentials/rotation",
    summary="Credentials to rotate",
    description="The tenant's stored credentials past the warning age (60 days by default) or the "
    "rotate-now age (90), most urgent first.",
    tags=["credentials"],
    operation_id="credentials_to_rotate",
    responses=documented(ok("the stored credentials that need attention, most urgent first")),
)
def credentials_to_rotate() -> CredentialRotationOut:
    caller = current_caller(router, "viewer")
    return CredentialRotationOut(
        items=[
            CredentialRotationItemOut(
                account_id=account.id,
                name=account.name,
                provider=account.provider,
                credentials_type=account.credentials["type"],
                credential_age=age,
            )
            for account, age in accounts.credentials_needing_rotation(services(), caller)
        ]
    )
