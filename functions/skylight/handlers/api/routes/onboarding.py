"""GET /v1/onboarding/{provider}: the kit a tenant needs to set up its side."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from skylight.handlers.api.routes.common import current_caller, error_responses
from skylight.handlers.dependencies import services
from skylight.logic.onboarding import onboarding_kit
from skylight.models.api import OnboardingKitOut

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
