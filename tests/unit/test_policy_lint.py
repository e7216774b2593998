"""The customer policies, as the kit ships them, pass an IAM policy linter without a single finding.

parliament checks each policy's grammar, actions, resources and condition keys against AWS's
definitions, and its community auditors (privilege escalation, permissions management, credentials
exposure, sensitive access, ...) plus our own (`policy_auditors/`, the escalation paths the
community list leaves out) look for dangerous grants. The templates' policies are linted as they
are once deployed: CloudFormation's `Fn::Sub` and Terraform's interpolations resolved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import parliament
import pytest
from parliament import analyze_policy_string, enhance_finding, override_config

from skylight.models.domain import Access
from skylight.providers.aws import onboarding

PRINCIPAL = "arn:aws:iam::123456789012:role/Skylight-platform-principal"
ACCOUNT = "111122223333"  # where a tenant deploys the role
AUDITORS = Path(__file__).parent / "policy_auditors"

# The read_write grants as they were before they were narrowed to starting, stopping and scaling.
FORMER_OPERATE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SkylightOperate",
            "Effect": "Allow",
            "Action": [
                "autoscaling:SetDesiredCapacity",
                "autoscaling:UpdateAutoScalingGroup",
                "ec2:CreateTags",
                "ec2:RebootInstances",
                "ec2:StartInstances",
                "ec2:StopInstances",
                "ecs:UpdateService",
                "lambda:UpdateFunctionConfiguration",
                "rds:RebootDBInstance",
                "rds:StartDBInstance",
                "rds:StopDBInstance",
            ],
            "Resource": "*",
        }
    ],
}


@pytest.fixture(scope="module")
def findings() -> Any:
    """Lints a policy document; every finding, whatever its severity, as `ISSUE detail location`."""
    override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")

    def lint(policy: dict[str, Any]) -> list[str]:
        analyzed = analyze_policy_string(
            json.dumps(policy), private_auditors_custom_path=AUDITORS, include_community_auditors=True
        )
        return [
            f"{finding.issue} {finding.detail} {finding.location}"
            for finding in map(enhance_finding, analyzed.findings)
        ]

    return lint


def _deployed(value: Any) -> Any:
    """A CloudFormation policy as the stack creates it (`Fn::Sub` resolved)."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        names = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "RoleName": onboarding.DEFAULT_ROLE_NAME}
        return re.sub(r"\$\{([^}]+)\}", lambda match: names[match.group(1)], value["Fn::Sub"])
    if isinstance(value, dict):
        return {key: _deployed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deployed(item) for item in value]
    return value


def _template_policies() -> dict[str, dict[str, Any]]:
    template = onboarding.cloudformation_template(PRINCIPAL, "skylight-abc")
    read, operate = template["Resources"]["SkylightRole"]["Properties"]["Policies"]
    return {
        "SkylightRead": _deployed(read["PolicyDocument"]),
        "SkylightOperate": _deployed(operate["Fn::If"][1]["PolicyDocument"]),
    }


def _terraform_policy(access: Access) -> dict[str, Any]:
    """The heredoc policy of the Terraform snippet, as Terraform interpolates it."""
    snippet = onboarding.terraform_snippet(PRINCIPAL, "skylight-abc", access)
    body = snippet.split("<<POLICY\n", 1)[1].split("\nPOLICY", 1)[0]
    role = f"arn:aws:iam::{ACCOUNT}:role/{onboarding.DEFAULT_ROLE_NAME}"
    body = body.replace("${aws_iam_role.skylight.arn}", role)
    body = body.replace("${data.aws_caller_identity.current.account_id}", ACCOUNT)
    assert "${" not in body
    return dict(json.loads(body))


@pytest.mark.parametrize("access", list(Access), ids=lambda access: access.value)
def test_the_kits_policies_have_no_finding(findings: Any, access: Access) -> None:
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        policy = onboarding.permission_policies(partition)[access.value]["policy"]
        assert findings(policy) == [], partition


@pytest.mark.parametrize("name", ["SkylightRead", "SkylightOperate"])
def test_the_cloudformation_templates_inline_policies_have_no_finding(findings: Any, name: str) -> None:
    assert findings(_template_policies()[name]) == []


@pytest.mark.parametrize("access", list(Access), ids=lambda access: access.value)
def test_the_terraform_snippets_policy_has_no_finding(findings: Any, access: Access) -> None:
    assert findings(_terraform_policy(access)) == []


def test_the_former_read_write_grants_are_found_to_escalate(findings: Any) -> None:
    found = findings(FORMER_OPERATE)

    escalations = {
        f.split("'type': '")[1].split("'")[0] for f in found if f.startswith("PRIVILEGE_ESCALATION")
    }
    assert escalations == {
        "lambda:UpdateFunctionConfiguration",
        "autoscaling:UpdateAutoScalingGroup",
        "ecs:UpdateService",
        "ec2:CreateTags",
    }
    # And every write on every resource.
    assert any(f.startswith("RESOURCE_STAR") for f in found)


def test_an_update_service_that_may_change_the_task_definition_is_found(findings: Any) -> None:
    policy = onboarding.permission_policies()["read_write"]["policy"]
    update_service = next(s for s in policy["Statement"] if "ecs:UpdateService" in s["Action"])
    del update_service["Condition"]["Null"]["ecs:task-definition"]

    assert [f for f in findings(policy) if f.startswith("PRIVILEGE_ESCALATION")] != []
