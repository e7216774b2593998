"""The documents a tenant pastes: trust policy, permission policies and templates."""

import json
import re

from skylight.models.domain import Access
from skylight.providers.aws import onboarding, permissions

PRINCIPAL = "arn:aws:iam::123456789012:role/Skylight-platform-principal"


def test_trust_policy_names_only_the_platform_principal_and_requires_the_external_id():
    policy = onboarding.trust_policy(PRINCIPAL, ["skylight-abc"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": PRINCIPAL}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "skylight-abc"}}


def test_trust_policy_lists_every_external_id_during_an_overlap():
    policy = onboarding.trust_policy(PRINCIPAL, ["old", "new"])
    assert policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == ["old", "new"]


def _actions(statements):
    return {action for statement in statements for action in statement["Action"]}


def test_read_only_policy_has_no_write_action_and_read_write_adds_only_operations():
    policies = onboarding.permission_policies()
    read_only, read_write = policies["read_only"]["policy"], policies["read_write"]["policy"]
    read_actions = _actions(read_only["Statement"])
    assert all(":" in a and a.split(":")[1].startswith(("Describe", "List", "Get")) for a in read_actions)
    added = read_write["Statement"][len(read_only["Statement"]) :]
    assert read_write["Statement"][: len(read_only["Statement"])] == read_only["Statement"]
    assert all(s["Sid"].startswith("SkylightOperate") for s in added)
    assert _actions(added) == set(permissions.write_actions())
    verbs = {re.match(r"[A-Z][a-z]+", a.split(":")[1]).group() for a in _actions(added)}
    assert verbs <= {"Start", "Stop", "Reboot", "Set", "Update", "Put", "Delete"}
    # The concurrency a function is held to may be lifted; a function itself is never deleted.
    assert not any(
        ("Delete" in a and a != "lambda:DeleteFunctionConcurrency") or "Terminate" in a
        for a in _actions(added)
    )


def test_read_write_cannot_run_code_as_another_principal_change_permissions_or_rewrite_tags():
    statements = onboarding.permission_policies()["read_write"]["policy"]["Statement"]
    write = [s for s in statements if s["Sid"].startswith("SkylightOperate")]
    actions = _actions(write)
    # Layers and wrapper scripts (a function's configuration), launch templates (a group's), task
    # definitions other than the service's own, roles, policies and tags: none of them.
    for escalating in (
        "lambda:UpdateFunctionConfiguration",
        "lambda:UpdateFunctionCode",
        "autoscaling:UpdateAutoScalingGroup",
        "ec2:CreateTags",
        "ec2:ModifyInstanceAttribute",
        "iam:PassRole",
    ):
        assert escalating not in actions
    assert not any(a.startswith("iam:") or a.endswith(("Tags", "TagResource", "Policy")) for a in actions)
    # No write is granted on every resource: each names the kind it operates.
    assert all(s["Resource"] != "*" for s in write)
    update_service = next(s for s in write if "ecs:UpdateService" in s["Action"])
    forbidden = update_service["Condition"]["Null"]
    assert {"ecs:task-definition", "ecs:enable-execute-command", "ecs:capacity-provider"} <= set(forbidden)
    assert set(forbidden.values()) == {"true"}


def test_every_probed_action_is_granted_by_the_policy_for_its_access_level():
    for access in Access:
        granted = _actions(onboarding.permission_policies()[access.value]["policy"]["Statement"])
        assert {p.action for p in permissions.probes_for(access)} <= granted


def test_cloudformation_template_creates_the_role_with_the_tenants_trust_policy():
    template = onboarding.cloudformation_template(PRINCIPAL, "skylight-abc")
    role = template["Resources"]["SkylightRole"]["Properties"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"AWS": {"Ref": "PlatformPrincipalArn"}}
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == {"Ref": "ExternalId"}
    assert template["Parameters"]["ExternalId"]["Default"] == "skylight-abc"
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True
    json.dumps(template)  # serialisable as a template body


def test_terraform_snippet_carries_principal_external_id_and_policy():
    snippet = onboarding.terraform_snippet(PRINCIPAL, "skylight-abc", Access.READ_WRITE)
    assert f'AWS = "{PRINCIPAL}"' in snippet
    assert 'default   = "skylight-abc"' in snippet
    assert "ec2:StopInstances" in snippet
    assert snippet.count("{") == snippet.count("}")


def test_quick_create_link_fills_in_every_parameter_when_a_template_is_hosted():
    from urllib.parse import parse_qs, urlsplit

    assert onboarding.quick_create_url("", PRINCIPAL, "skylight-abc") is None
    link = onboarding.quick_create_url("https://bucket.s3.amazonaws.com/role.json", PRINCIPAL, "skylight-abc")
    parts = urlsplit(link)
    assert parts.netloc == "console.aws.amazon.com"
    query = parse_qs(parts.fragment.split("?", 1)[1])
    assert query["templateURL"] == ["https://bucket.s3.amazonaws.com/role.json"]
    assert query["param_ExternalId"] == ["skylight-abc"]
    assert query["param_PlatformPrincipalArn"] == [PRINCIPAL]
    gov = onboarding.quick_create_url("https://x/t.json", PRINCIPAL.replace(":aws:", ":aws-us-gov:"), "e")
    assert gov.startswith("https://console.amazonaws-us-gov.com/")


def test_the_hosted_template_carries_no_tenants_values():
    template = onboarding.hosted_template()
    assert "Default" not in template["Parameters"]["ExternalId"]
    assert "Default" not in template["Parameters"]["PlatformPrincipalArn"]


def test_customer_templates_pass_cfn_lint(tmp_path):
    from cfnlint.api import lint_all

    for template in (
        onboarding.cloudformation_template(PRINCIPAL, "skylight-abc"),
        onboarding.hosted_template(),
    ):
        matches = lint_all(json.dumps(template))
        assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_templates_scope_the_trust_policy_check_to_the_role_itself():
    template = onboarding.cloudformation_template(PRINCIPAL, "skylight-abc")
    read = template["Resources"]["SkylightRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    own = next(s for s in read["Statement"] if s["Action"] == ["iam:GetRole"])
    assert own["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"}
    assert '"Resource": "${aws_iam_role.skylight.arn}"' in onboarding.terraform_snippet(
        PRINCIPAL, "e", Access.READ_ONLY
    )
    by_hand = onboarding.permission_policies("aws-us-gov")["read_only"]["policy"]["Statement"]
    assert next(s for s in by_hand if s["Action"] == ["iam:GetRole"])["Resource"] == (
        f"arn:aws-us-gov:iam::*:role/{onboarding.DEFAULT_ROLE_NAME}"
    )


def test_templates_scope_per_resource_actions_to_the_account_they_create_the_role_in():
    template = onboarding.cloudformation_template(PRINCIPAL, "skylight-abc")
    read = template["Resources"]["SkylightRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    tables = next(s for s in read["Statement"] if s["Action"] == ["dynamodb:DescribeTable"])
    assert tables["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*"}
    snippet = onboarding.terraform_snippet(PRINCIPAL, "e", Access.READ_WRITE)
    assert 'data "aws_caller_identity" "current" {}' in snippet
    assert '"arn:aws:ec2:*:${data.aws_caller_identity.current.account_id}:instance/*"' in snippet
