"""Deployment settings: the few values the stack reads from CDK context and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

STACK_NAME = "Skylight"
PROJECT_TAG = "skylight"
DEFAULT_REGION = "us-east-1"

# Repository layout: infra/ sits next to functions/ and the runtime requirements file.
REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYERS_DIR = REPO_ROOT / "layers"
REQUIREMENTS_FILE = REPO_ROOT / "requirements.txt"
CDK_JSON = REPO_ROOT / "cdk.json"


@dataclass(frozen=True)
class SkylightSettings:
    """Values that differ per deployment, with the defaults the functions also assume."""

    tenant_claim: str = "tenant_id"
    roles_claim: str = "roles"
    retention_days: int = 30
    # Stored credentials warn at this age and say "rotate now" at the next.
    credential_warn_days: int = 60
    credential_rotate_days: int = 90
    # Where the platform hosts the customer-role template for CloudFormation quick-create links.
    onboarding_template_url: str = ""
    # Origins of the platform's frontend allowed to call the API from a browser (CORS).
    cors_allowed_origins: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, scope: Construct) -> SkylightSettings:
        """Read overrides from CDK context (`cdk synth -c tenantClaim=org_id`)."""
        node = scope.node
        defaults = cls()
        return cls(
            tenant_claim=str(node.try_get_context("tenantClaim") or defaults.tenant_claim),
            roles_claim=str(node.try_get_context("rolesClaim") or defaults.roles_claim),
            retention_days=int(node.try_get_context("retentionDays") or defaults.retention_days),
            credential_warn_days=int(
                node.try_get_context("credentialWarnDays") or defaults.credential_warn_days
            ),
            credential_rotate_days=int(
                node.try_get_context("credentialRotateDays") or defaults.credential_rotate_days
            ),
            onboarding_template_url=str(node.try_get_context("onboardingTemplateUrl") or ""),
            cors_allowed_origins=_origins(node.try_get_context("corsAllowedOrigins")),
        )


def _origins(value: object) -> tuple[str, ...]:
    """`-c corsAllowedOrigins=https://a.example,https://b.example` or a list in cdk.json."""
    if isinstance(value, str):
        return tuple(origin.strip() for origin in value.split(",") if origin.strip())
    if isinstance(value, list):
        return tuple(str(origin) for origin in value)
    return ()


def stack_environment(scope: Construct) -> cdk.Environment:
    """The target account and region.

    The region is always concrete: a TableV2 with a customer-managed key needs one. The account may
    stay unresolved (account-agnostic template) when neither the CLI nor the caller names it.
    """
    context_region = scope.node.try_get_context("region")
    region = context_region or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION
    return cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=str(region))
