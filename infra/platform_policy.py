"""The platform principal's permissions policy, as a plain IAM policy document.

Pure functions, no CDK: the stack turns the document into the role's inline policy, and tests attach
the very same document to a role in the emulator.

The platform principal may assume roles in customer accounts, never one of the platform's own
estate: an explicit Deny keeps every role of the platform account out of reach (whatever that
role's trust policy says), and another, unless the deployment opts out, every role of any account
of the platform's own AWS Organization.
"""

from __future__ import annotations

from typing import Any

POLICY_VERSION = "2012-10-17"
# The functions call AssumeRole only (no session tags, no source identity). An action added here,
# such as sts:TagSession, goes into the denies too: every statement below uses this one value.
ASSUME_ACTION = "sts:AssumeRole"

ALLOW_SID = "AssumeCustomerRoles"
MINT_SID = "MintIdentityTokensForTenantAudiences"
#: Every tenant audience Skylight makes (skylight.logic.federation.AUDIENCE_PREFIX, then 32 letters).
TENANT_AUDIENCES = "urn:skylight:tenant:*"
#: The longest-lived identity token the platform principal may mint, in seconds.
MAX_TOKEN_LIFETIME_S = 300
DENY_ACCOUNT_SID = "DenyRolesOfThePlatformAccount"
DENY_ORGANIZATION_SID = "DenyRolesOfThePlatformOrganization"


def any_role_arn(partition: str) -> str:
    """Every role of every account in `partition` (customers' role ARNs are only known at runtime)."""
    return f"arn:{partition}:iam::*:role/*"


def platform_principal_policy(
    partition: str, account: str, *, allow_own_organization: bool
) -> dict[str, Any]:
    """The platform principal's policy: assume any role, except the platform account's and, unless
    `allow_own_organization`, those of any account in the platform's own organization."""
    resource = any_role_arn(partition)
    statements: list[dict[str, Any]] = [
        {"Sid": ALLOW_SID, "Effect": "Allow", "Action": ASSUME_ACTION, "Resource": resource},
        {
            "Sid": DENY_ACCOUNT_SID,
            "Effect": "Deny",
            "Action": ASSUME_ACTION,
            "Resource": resource,
            "Condition": {"StringEquals": {"aws:ResourceAccount": account}},
        },
    ]
    if not allow_own_organization:
        statements.append(
            {
                "Sid": DENY_ORGANIZATION_SID,
                "Effect": "Deny",
                "Action": ASSUME_ACTION,
                "Resource": resource,
                # When the platform account is in no organization, aws:PrincipalOrgID is absent from
                # the request: the variable then has no value, nothing equals it, and this Deny never
                # matches (AWS semantics), so the statement is harmless outside an organization.
                "Condition": {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}},
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def identity_token_policy() -> dict[str, Any]:
    """Outbound identity federation: JWTs for tenant audiences only, RS256, five minutes at most.

    `ForAllValues` holds every audience of a request to the pattern (and `Null` refuses a request
    without one), so no token can carry an audience Skylight did not make.
    """
    statement = {
        "Sid": MINT_SID,
        "Effect": "Allow",
        "Action": "sts:GetWebIdentityToken",
        "Resource": "*",
        "Condition": {
            "ForAllValues:StringLike": {"sts:IdentityTokenAudience": TENANT_AUDIENCES},
            "Null": {"sts:IdentityTokenAudience": "false"},
            # IAM reads the number as text or not; moto's policy validator takes text only.
            "NumericLessThanEquals": {"sts:DurationSeconds": str(MAX_TOKEN_LIFETIME_S)},
            "StringEquals": {"sts:SigningAlgorithm": "RS256"},
        },
    }
    return {"Version": POLICY_VERSION, "Statement": [statement]}
