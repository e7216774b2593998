"""The customer-side set-up for an AWS connection: trust policy, permission policies, templates."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlencode

from skylight.models.domain import Access
from skylight.providers.aws.permissions import (
    permission_policy,
    plain_arns,
    write_statements,
)

DEFAULT_ROLE_NAME = "SkylightAccess"


def trust_policy(platform_principal_arn: str, external_ids: list[str]) -> dict[str, Any]:
    """A trust policy that lets only the platform principal in, and only with the tenant's External ID."""
    external_id: str | list[str] = external_ids[0] if len(external_ids) == 1 else list(external_ids)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SkylightPlatformAssumeRole",
                "Effect": "Allow",
                "Principal": {"AWS": platform_principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def permission_policies(partition: str = "aws") -> dict[str, Any]:
    """The policies to attach by hand: the role is expected under its default name (the templates
    name their own role)."""
    own_role = f"arn:{partition}:iam::*:role/{DEFAULT_ROLE_NAME}"
    return {
        level.value: {
            "policy": permission_policy(level, own_role, plain_arns(partition)),
            "why": _WHY[level],
        }
        for level in Access
    }


_WHY = {
    Access.READ_ONLY: (
        "Lists and describes resources so the inventory can fill in; reads no data, logs or secrets."
    ),
    Access.READ_WRITE: (
        "Everything read_only allows, plus, when you ask for it, starting, stopping and rebooting EC2 "
        "instances and RDS databases, and scaling Auto Scaling groups (desired capacity), ECS services "
        "(desired count) and Lambda functions (reserved concurrency); never deletes resources, changes "
        "what code runs or as whom, changes permissions, or writes tags."
    ),
}


def cloudformation_template(platform_principal_arn: str, external_id: str) -> dict[str, Any]:
    """A stack that creates the role; the External ID and principal are pre-filled parameters."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Lets Skylight read (and optionally operate) this account through a role.",
        "Parameters": {
            "RoleName": {"Type": "String", "Default": DEFAULT_ROLE_NAME},
            "ExternalId": {
                "Type": "String",
                "Default": external_id,
                "NoEcho": True,
                "AllowedPattern": r"[\w+=,.@:/-]{2,1224}",
                "Description": "Your tenant's External ID, from Skylight's onboarding page",
            },
            "PlatformPrincipalArn": {
                "Type": "String",
                "Default": platform_principal_arn,
                "AllowedPattern": r"arn:aws[a-z-]*:iam::\d{12}:role/.+",
                "Description": "The Skylight role that may assume this one",
            },
            "AccessLevel": {
                "Type": "String",
                "Default": "read_only",
                "AllowedValues": ["read_only", "read_write"],
            },
        },
        "Conditions": {"ReadWrite": {"Fn::Equals": [{"Ref": "AccessLevel"}, "read_write"]}},
        "Resources": {
            "SkylightRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": _with_refs(
                        trust_policy("__PRINCIPAL__", ["__EXTERNAL_ID__"])
                    ),
                    "Policies": [
                        {
                            "PolicyName": "SkylightRead",
                            "PolicyDocument": permission_policy(Access.READ_ONLY, _OWN_ROLE_ARN, _stack_arn),
                        },
                        {
                            "Fn::If": [
                                "ReadWrite",
                                {
                                    "PolicyName": "SkylightOperate",
                                    "PolicyDocument": {
                                        "Version": "2012-10-17",
                                        "Statement": write_statements(_stack_arn),
                                    },
                                },
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                    ],
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["SkylightRole", "Arn"]}}},
    }


# The role the template creates, without a reference cycle (the policy is part of the role).
_OWN_ROLE_ARN = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"}


def _stack_arn(service: str, resource: str) -> Any:
    """Resources of the account and partition the stack creates the role in."""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:*:${{AWS::AccountId}}:{resource}"}


def _with_refs(policy: dict[str, Any]) -> dict[str, Any]:
    """Swap placeholders for parameter references so the template stays editable in the console."""
    text = json.dumps(policy)
    text = text.replace('"__PRINCIPAL__"', json.dumps({"Ref": "PlatformPrincipalArn"}))
    text = text.replace('"__EXTERNAL_ID__"', json.dumps({"Ref": "ExternalId"}))
    return dict(json.loads(text))


def terraform_snippet(platform_principal_arn: str, external_id: str, access: Access) -> str:
    """HCL that creates the same role with Terraform's AWS provider."""
    # Terraform interpolates the role's own ARN, and the account it runs in, into the heredoc.
    partition = platform_principal_arn.split(":")[1]
    account = plain_arns(partition, "${data.aws_caller_identity.current.account_id}")
    policy = json.dumps(permission_policy(access, "${aws_iam_role.skylight.arn}", account), indent=2)
    return f"""\
variable "skylight_external_id" {{
  type      = string
  sensitive = true
  default   = "{external_id}"
}}

data "aws_caller_identity" "current" {{}}

resource "aws_iam_role" "skylight" {{
  name                 = "{DEFAULT_ROLE_NAME}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "SkylightPlatformAssumeRole"
      Effect    = "Allow"
      Principal = {{ AWS = "{platform_principal_arn}" }}
      Action    = "sts:AssumeRole"
      Condition = {{ StringEquals = {{ "sts:ExternalId" = var.skylight_external_id }} }}
    }}]
  }})
}}

resource "aws_iam_role_policy" "skylight_{access.value}" {{
  name   = "Skylight-{access.value}"
  role   = aws_iam_role.skylight.id
  policy = <<POLICY
{policy}
POLICY
}}

output "skylight_role_arn" {{
  value = aws_iam_role.skylight.arn
}}
"""


CONSOLES = {
    "aws": "https://console.aws.amazon.com",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
    "aws-cn": "https://console.amazonaws.cn",
}
QUICK_CREATE_STACK_NAME = "skylight-access"


def quick_create_url(template_url: str, platform_principal_arn: str, external_id: str) -> str | None:
    """A console link that opens the role's stack with every parameter filled in, if a template is hosted."""
    if not template_url:
        return None
    partition = platform_principal_arn.split(":")[1]
    query = urlencode(
        {
            "templateURL": template_url,
            "stackName": QUICK_CREATE_STACK_NAME,
            "param_ExternalId": external_id,
            "param_PlatformPrincipalArn": platform_principal_arn,
            "param_AccessLevel": Access.READ_ONLY.value,
        }
    )
    return f"{CONSOLES[partition]}/cloudformation/home#/stacks/quickcreate?{query}"


def hosted_template() -> dict[str, Any]:
    """The template to host for quick-create links: no tenant's values in it, the link supplies them."""
    template = cloudformation_template("", "")
    for name in ("ExternalId", "PlatformPrincipalArn"):
        del template["Parameters"][name]["Default"]
    return template


def onboarding_kit(
    platform_principal_arn: str, external_id: str, external_ids: list[str], template_url: str = ""
) -> dict[str, Any]:
    partition, account_id = platform_principal_arn.split(":")[1], platform_principal_arn.split(":")[4]
    return {
        "provider": "aws",
        "external_id": external_id,
        "platform_account_id": account_id,
        "platform_principal_arn": platform_principal_arn,
        "partition": partition,
        "trust_policy": trust_policy(platform_principal_arn, external_ids),
        "permission_policies": permission_policies(partition),
        "templates": {
            "cloudformation": {
                "template": cloudformation_template(platform_principal_arn, external_id),
                "deploy_command": (
                    "aws cloudformation deploy --template-file skylight-role.json "
                    "--stack-name skylight-access --capabilities CAPABILITY_NAMED_IAM"
                ),
                "quick_create_url": quick_create_url(template_url, platform_principal_arn, external_id),
            },
            "terraform": {
                access.value: terraform_snippet(platform_principal_arn, external_id, access)
                for access in Access
            },
        },
        "steps": [
            "Create the role with the CloudFormation template or the Terraform snippet (or by hand with "
            f"trust_policy and one of permission_policies, naming the role {DEFAULT_ROLE_NAME} or putting "
            "its ARN in the iam:GetRole statement).",
            "Copy the role's ARN (the RoleArn output).",
            "Connect it: POST /v1/accounts with credentials {type: role, role_arn}.",
        ],
    }


if __name__ == "__main__":
    # `python -m skylight.providers.aws.onboarding > skylight-role.json`: the file to host for quick-create.
    sys.stdout.write(json.dumps(hosted_template(), indent=2) + "\n")
