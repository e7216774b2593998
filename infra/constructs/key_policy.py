"""Explicit key policies for the keys that guard secrets and cursors: the account administers the key,
only the functions named in the key policy may use it.

Without a policy of its own, a key gets the default one (the account root may do `kms:*`), and then
any identity policy in the account can grant its cryptographic use. With `administered_key_policy`
the account keeps every administrative action (nobody is locked out of the key), but no identity
policy can grant a cryptographic call: only the roles the key policy names may make one, with the
conditions it names (`grant`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_

#: What the account (IAM, through the root principal) may do with the key: administer it, no more.
#: `kms:CreateAlias` rather than `kms:Create*`: the wildcard would also allow `kms:CreateGrant`, and a
#: grant is a way to cryptographic use that the key policy does not show.
ADMINISTRATION_ACTIONS: tuple[str, ...] = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
ADMINISTRATION_SID = "AccountAdministersTheKeyOnly"


def administered_key_policy() -> iam.PolicyDocument:
    """A key policy in which the account root may administer the key and nobody may use it yet.

    Passed as `kms.Key(policy=...)`, it replaces CDK's default statement (root: `kms:*`); uses are
    added, one role and action at a time, by `grant`.
    """
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid=ADMINISTRATION_SID,
                principals=[iam.AccountRootPrincipal()],
                actions=list(ADMINISTRATION_ACTIONS),
                # In a key policy, "*" is the key itself.
                resources=["*"],
            )
        ]
    )


def grant(
    key: kms.Key,
    function: lambda_.Function,
    action: str,
    conditions: Mapping[str, Any] | None = None,
) -> None:
    """Let `function` call `action` on `key`, under `conditions`, in the key policy (naming its role by
    ARN) and in the role's own policy: the key decides, the role's policy keeps saying, on its own,
    everything the function may do."""
    role = function.role
    if role is None:
        raise ValueError(f"{function.node.path} has no execution role to grant {action} to")
    condition_block = dict(conditions) if conditions else None
    function.add_to_role_policy(
        iam.PolicyStatement(actions=[action], resources=[key.key_arn], conditions=condition_block)
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ArnPrincipal(role.role_arn)],
            actions=[action],
            resources=["*"],
            conditions=condition_block,
        )
    )
