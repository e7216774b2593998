"""The account's IAM outbound identity federation, turned on by the deployment, and its issuer.

No CloudFormation resource type models the account setting, so a custom resource backed by the
stack's own function turns it on (idempotent) and reads the issuer URL that GCP and Azure trust.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag

RESOURCE_TYPE = "Custom::OutboundWebIdentityFederation"
ACTIONS = ("iam:EnableOutboundWebIdentityFederation", "iam:GetOutboundWebIdentityFederationInfo")


class OutboundFederation(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        statement = iam.PolicyStatement(actions=list(ACTIONS), resources=["*"])
        function.add_to_role_policy(statement)
        assert function.role is not None
        nag.wildcard_resource(
            function.role,
            "*",
            "Outbound identity federation is an account setting: its two IAM actions take no resource.",
        )
        resource = cdk.CustomResource(
            self, "Resource", service_token=function.function_arn, resource_type=RESOURCE_TYPE
        )
        # The role's policy must exist before CloudFormation asks the function.
        resource.node.add_dependency(function.role)
        #: `https://<id>.tokens.sts.global.api.aws`: what the tenants' GCP pools and Azure apps trust.
        self.issuer = resource.get_att_string("Issuer")
