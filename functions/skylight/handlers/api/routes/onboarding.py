"""/v1/onboarding/aws: the kit a tenant needs to set up its side, and rotating its External ID."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from skylight.handlers.api.routes.common import current_caller, error_responses
from skylight.handlers.dependencies import services
from skylight.logic.onboarding import complete_external_id_rotation, onboarding_kit, rotate_external_id
from skylight.models.api import OnboardingKitOut, RotationCompletedOut

router = Router()


@router.get(
    "/v1/onboarding/aws",
    summary="AWS onboarding kit",
    description="The tenant's External ID, the platform principal, a trust policy to paste, the permission "
    "policies and ready-made CloudFormation and Terraform. Admin only: the External ID is a secret.",
    tags=["onboarding"],
    responses=error_responses(401, 403),
)
def get_aws_onboarding_kit() -> OnboardingKitOut:
    caller = current_caller(router, "admin")
    return OnboardingKitOut.model_validate(onboarding_kit(services(), caller, "aws"))


@router.post(
    "/v1/onboarding/aws/external-id/rotate",
    summary="Rotate the External ID",
    description="Issues a new External ID. Until the rotation completes both are accepted: the trust policy "
    "in the kit lists both, and each account reports the generation it works with.",
    tags=["onboarding"],
    responses=error_responses(401, 403, 409),
)
def rotate_aws_external_id() -> OnboardingKitOut:
    caller = current_caller(router, "admin")
    return OnboardingKitOut.model_validate(rotate_external_id(services(), caller, "aws"))


@router.post(
    "/v1/onboarding/aws/external-id/complete",
    summary="Retire the previous External ID",
    description="Re-tests the accounts not yet seen on the new ID, then retires the old one. 409 "
    "`external_id_in_use` lists the accounts that still work only with it, unless `force=true`.",
    tags=["onboarding"],
    responses=error_responses(400, 401, 403, 409),
)
def complete_aws_external_id_rotation(force: Annotated[bool, Query()] = False) -> RotationCompletedOut:
    caller = current_caller(router, "admin")
    return RotationCompletedOut.model_validate(
        complete_external_id_rotation(services(), caller, "aws", force)
    )
