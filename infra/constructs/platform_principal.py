"""The platform principal: the one identity that customers trust and that assumes their roles."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.platform_policy import any_role_arn, identity_token_policy, platform_principal_policy

MAX_SESSION = cdk.Duration.hours(1)


def platform_principal_role_name(stack: cdk.Stack) -> str:
    """`<stack name>-platform-principal`: fixed, because customers paste its ARN into trust policies."""
    return f"{stack.stack_name}-platform-principal"


def platform_principal_arn(stack: cdk.Stack) -> str:
    """The role's ARN, built from its name (a Fn::Join of partition and account, no reference).

    Functions carry it in their environment while the role's trust policy refers to the functions'
    roles: a reference to the role itself would close a dependency cycle.
    """
    return stack.format_arn(
        service="iam", region="", resource="role", resource_name=platform_principal_role_name(stack)
    )


class PlatformPrincipal(Construct):
    """A dedicated role between Skylight's functions and customer accounts.

    Customers name this role (never a function role) in their trust policy, so function roles can be
    replaced freely. Only the `trusted` functions' roles may assume it, and it may assume roles in *other*
    accounts only: never one of the platform's own roles, nor, unless `allow_own_organization`, a role
    of any account in the platform's AWS Organization (`infra.platform_policy`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trusted: Sequence[lambda_.IFunction],
        allow_own_organization: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        roles = [_role_of(function) for function in trusted]
        self.role_arn = platform_principal_arn(stack)
        self.role = iam.Role(
            self,
            "Role",
            role_name=platform_principal_role_name(stack),
            description="Skylight platform principal: the only identity that assumes customer roles",
            assumed_by=iam.CompositePrincipal(*roles),
            max_session_duration=MAX_SESSION,
            inline_policies={
                "AssumeCustomerRoles": iam.PolicyDocument.from_json(
                    platform_principal_policy(
                        stack.partition, stack.account, allow_own_organization=allow_own_organization
                    )
                ),
                # The root of keyless GCP and Azure access; no other role of the stack may mint.
                "MintIdentityTokens": iam.PolicyDocument.from_json(identity_token_policy()),
            },
        )
        nag.wildcard_resource(
            self.role,
            any_role_arn(stack.partition),
            "Customers' role ARNs are only known at runtime (each customer names its own role); explicit "
            "denies keep every role of the platform's own account, and by default of its organization, "
            "out of reach whatever their trust policies say.",
        )
        nag.wildcard_resource(
            self.role,
            "*",
            "sts:GetWebIdentityToken takes no resource; its conditions hold every token to tenant "
            "audiences, RS256 and five minutes.",
        )
        for function in trusted:
            iam.Grant.add_to_principal(
                grantee=function, actions=["sts:AssumeRole"], resource_arns=[self.role_arn]
            )


def _role_of(function: lambda_.IFunction) -> iam.IRole:
    if function.role is None:
        raise ValueError(f"{function.node.path} has no execution role to trust")
    return function.role
