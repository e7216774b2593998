"""/v1/onboarding/{provider}: the kit a tenant needs to set up its side; AWS's External ID rotation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import TypeAdapter

from skylight.handlers.api.routes.common import current_caller, documented, ok
from skylight.handlers.dependencies import services
from skylight.logic.onboarding import onboarding_kit
from skylight.models.api import PROVIDER_API_MODELS, OnboardingKitOut
from skylight.providers.aws.api_models import AwsOnboardingKitOut, RotationCompletedOut
from skylight.providers.aws.external_id_rotation import complete_external_id_rotation, rotate_external_id

router = Router()

if TYPE_CHECKING:
    Provider = str
else:
    # Exactly the providers found (`skylight.providers.<name>`) whose API models load: the document
    # lists them, and any other name is a 400 naming the field.
    Provider = Literal[tuple(PROVIDER_API_MODELS)]
ProviderName = Annotated[Provider, Path(description="The cloud")]
_KIT: TypeAdapter[OnboardingKitOut] = TypeAdapter(OnboardingKitOut)


@router.get(
    "/v1/onboarding/<provider>",
    summary="Onboarding kit",
    description="What the tenant needs to set up its side of a connection on `provider`, in the provider's "
    "own schema (`provider` tells which). AWS: the tenant's External ID, the platform principal, a trust "
    "policy to paste, the permission policies and ready-made CloudFormation and Terraform. Admin only: "
    "the External ID is a secret.",
    tags=["onboarding"],
    operation_id="get_onboarding_kit",
    responses=documented(ok("the onboarding kit"), 400),
)
def get_onboarding_kit(provider: ProviderName) -> OnboardingKitOut:
    caller = current_caller(router, "admin")
    return _KIT.validate_python(onboarding_kit(services(), caller, provider))


@router.post(
    "/v1/onboarding/aws/external-id/rotate",
    summary="Rotate the External ID",
    description="Issues a new External ID. Until the rotation completes both are accepted: the trust policy "
    "in the kit lists both, and each account reports the generation it works with.",
    tags=["onboarding"],
    operation_id="rotate_aws_external_id",
    responses=documented(
        ok("the kit with the new External ID and both IDs in its trust policy"),
        conflicts="external_id_rotation_in_progress, or conflict: the External ID changed meanwhile",
    ),
)
def rotate_aws_external_id() -> AwsOnboardingKitOut:
    caller = current_caller(router, "admin")
    return AwsOnboardingKitOut.model_validate(rotate_external_id(services(), caller))


@router.post(
    "/v1/onboarding/aws/external-id/complete",
    summary="Retire the previous External ID",
    description="Re-tests the accounts not yet seen on the new ID, then retires the old one. 409 "
    "`external_id_in_use` lists the accounts that still work only with it, unless `force=true`.",
    tags=["onboarding"],
    operation_id="complete_aws_external_id_rotation",
    responses=documented(
        ok("the kit, the previous External ID retired, with the accounts cut off by a forced completion"),
        400,
        429,
        conflicts="external_id_in_use (`accounts` lists them), no_external_id_rotation, or conflict: the "
        "External ID changed meanwhile",
    ),
)
def complete_aws_external_id_rotation(
    force: Annotated[bool, Query(description="retire it even if accounts still need it")] = False,
) -> RotationCompletedOut:
    caller = current_caller(router, "admin")
    return RotationCompletedOut.model_validate(complete_external_id_rotation(services(), caller, force))
