"""IAM: the platform principal, least privilege per function, no wildcard actions."""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.config import SkylightSettings
from infra.synth import build_app
from tests.infrastructure.conftest import FUNCTIONS

TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
WILDCARD_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:\*)$")
CUSTOMER_FACING = ("ApiFunction", "ValidateFunction", "PlanFunction", "CrawlSegmentsFunction")


def test_platform_principal_has_a_fixed_name_and_one_hour_sessions(template: Template, view):
    role = view.properties("PlatformPrincipalRole")

    assert role["RoleName"] == "Skylight-platform-principal"
    assert role["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in role
    template.has_output(
        "PlatformPrincipalArn", {"Value": {"Fn::GetAtt": [view.ids["PlatformPrincipalRole"], "Arn"]}}
    )


def test_platform_principal_trusts_only_the_roles_of_functions_that_call_customers(view, listed):
    trust = view.properties("PlatformPrincipalRole")["AssumeRolePolicyDocument"]["Statement"]

    (statement,) = trust
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert set(statement["Principal"]) == {"AWS"}
    trusted = {principal["Fn::GetAtt"][0] for principal in listed(statement["Principal"]["AWS"])}
    assert trusted == {view.role_of(name) for name in CUSTOMER_FACING}
    assert "Condition" not in statement


ANY_ROLE = "arn:aws:iam::*:role/*"
ACCOUNT_DENY = {"StringEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}}}
ORGANIZATION_DENY = {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}


def _principal_policy(template, name="AssumeCustomerRoles"):
    """Every statement (Allow and Deny) of one of the platform principal's policies, by Sid."""
    ((role_id, role),) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
        and resource["Properties"].get("RoleName") == "Skylight-platform-principal"
    ]
    # Two inline policies, and no policy attached to the role besides.
    policies = {policy["PolicyName"]: policy for policy in role["Policies"]}
    assert set(policies) == {"AssumeCustomerRoles", "MintIdentityTokens"}
    policy = policies[name]
    assert not [
        resource
        for resource in template["Resources"].values()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        and {"Ref": role_id} in resource["Properties"].get("Roles", [])
    ]
    statements = policy["PolicyDocument"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements)
    return by_sid


def test_platform_principal_may_assume_any_role_but_those_of_the_platform_account_and_organization(view):
    statements = _principal_policy(view.template)

    assert set(statements) == {
        "AssumeCustomerRoles",
        "DenyRolesOfThePlatformAccount",
        "DenyRolesOfThePlatformOrganization",
    }
    allow = statements["AssumeCustomerRoles"]
    assert (allow["Effect"], allow["Action"], allow["Resource"]) == ("Allow", "sts:AssumeRole", ANY_ROLE)
    assert "Condition" not in allow
    for sid, condition in [
        ("DenyRolesOfThePlatformAccount", ACCOUNT_DENY),
        ("DenyRolesOfThePlatformOrganization", ORGANIZATION_DENY),
    ]:
        deny = statements[sid]
        assert (deny["Effect"], deny["Action"], deny["Resource"]) == ("Deny", "sts:AssumeRole", ANY_ROLE)
        assert deny["Condition"] == condition


def test_allowing_the_own_organization_keeps_the_platform_account_denied(overridden_template):
    # Given allowOwnOrganization=True (see CONTEXT_OVERRIDES: a string, as the CLI gives it)
    statements = _principal_policy(overridden_template)

    assert set(statements) == {"AssumeCustomerRoles", "DenyRolesOfThePlatformAccount"}
    deny = statements["DenyRolesOfThePlatformAccount"]
    assert (deny["Effect"], deny["Resource"], deny["Condition"]) == ("Deny", ANY_ROLE, ACCOUNT_DENY)
    assert "aws:ResourceOrgID" not in json.dumps(statements)


@pytest.mark.parametrize("value", [True, False, "true", "FALSE", " True "])
def test_allow_own_organization_reads_booleans_and_their_strings(value):
    app = cdk.App(context={"allowOwnOrganization": value})

    expected = value if isinstance(value, bool) else value.strip().lower() == "true"
    assert SkylightSettings.from_context(app).allow_own_organization is expected


def test_the_own_organization_is_denied_unless_the_context_says_otherwise():
    assert SkylightSettings.from_context(cdk.App()).allow_own_organization is False


@pytest.mark.parametrize("value", ["yes", "1", "", "on", 1, 0, ["true"]])
def test_allow_own_organization_that_is_not_true_or_false_is_refused(value):
    app = cdk.App(context={"allowOwnOrganization": value})

    with pytest.raises(ValueError, match="context allowOwnOrganization must be true or false"):
        SkylightSettings.from_context(app)


def test_a_stack_with_an_unreadable_allow_own_organization_is_not_built():
    with pytest.raises(ValueError, match="allowOwnOrganization"):
        build_app(context={"allowOwnOrganization": "maybe"})


def test_only_functions_that_call_customers_may_assume_the_platform_principal(view):
    for name in FUNCTIONS:
        assumes = [
            statement
            for statement in view.identity_statements(view.role_of(name))
            if "sts:AssumeRole" in statement["Action"]
        ]
        if name not in CUSTOMER_FACING:
            assert assumes == []
            continue
        (statement,) = assumes
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Resource"]["Fn::Join"][1][-1] == ":role/Skylight-platform-principal"


def test_begin_and_finish_functions_touch_the_table_only(view):
    for name in ("BeginFunction", "FinishFunction", "PurgeFunction"):
        actions = view.actions(view.role_of(name))
        assert actions >= TABLE_WRITES
        assert not {"sts:AssumeRole", "states:StartExecution", "scheduler:CreateSchedule"} & actions


def test_only_the_api_manages_schedules_and_passes_only_the_schedules_role_to_scheduler(view):
    for name in FUNCTIONS:
        statements = view.identity_statements(view.role_of(name))
        manages = [s for s in statements if "scheduler:CreateSchedule" in s["Action"]]
        passes = [s for s in statements if "iam:PassRole" in s["Action"]]
        if name != "ApiFunction":
            assert manages == passes == []
            continue
        (manage,) = manages
        assert manage["Resource"]["Fn::Join"][1][-1] == ":schedule/Skylight-schedules/*"
        (pass_role,) = passes
        assert pass_role["Resource"] == {"Fn::GetAtt": [view.ids["SchedulerRole"], "Arn"]}
        assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_the_schedules_role_is_for_this_accounts_schedules_and_only_starts_the_workflow(view):
    role = view.resources[view.ids["SchedulerRole"]]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in trust["Condition"]["ArnLike"]
    (statement,) = view.identity_statements(view.ids["SchedulerRole"])
    assert statement["Action"] == "states:StartExecution"
    assert statement["Resource"] == {"Ref": view.ids["StateMachine"]}


def test_only_the_api_function_starts_executions_of_its_state_machine(view):
    for name in FUNCTIONS:
        starts = [
            statement
            for statement in view.identity_statements(view.role_of(name))
            if "states:StartExecution" in statement["Action"]
        ]
        if name != "ApiFunction":
            assert starts == []
            continue
        (statement,) = starts
        assert statement["Resource"] == {"Ref": view.ids["StateMachine"]}


def test_function_roles_use_no_managed_policies_and_log_only_to_their_own_group(view):
    for name in FUNCTIONS:
        role_id = view.role_of(name)
        assert "ManagedPolicyArns" not in view.resources[role_id]["Properties"]
        log_group = view.properties(name)["LoggingConfig"]["LogGroup"]["Ref"]
        logs = [s for s in view.identity_statements(role_id) if "logs:PutLogEvents" in s["Action"]]
        assert [s["Resource"] for s in logs] == [{"Fn::GetAtt": [log_group, "Arn"]}]


def test_no_identity_policy_grants_wildcard_actions(view, listed):
    statements = list(view.all_policy_statements())

    assert statements
    for statement in statements:
        for action in listed(statement["Action"]):
            assert not WILDCARD_ACTION.match(action), statement
        assert "NotAction" not in statement


def test_only_the_platform_principal_may_mint_identity_tokens_for_tenant_audiences(view):
    (mint,) = _principal_policy(view.template, "MintIdentityTokens").values()

    assert (mint["Effect"], mint["Action"], mint["Resource"]) == ("Allow", "sts:GetWebIdentityToken", "*")
    assert mint["Condition"] == {
        "ForAllValues:StringLike": {"sts:IdentityTokenAudience": "urn:skylight:tenant:*"},
        "Null": {"sts:IdentityTokenAudience": "false"},
        "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
        "StringEquals": {"sts:SigningAlgorithm": "RS256"},
    }
    minters = {
        logical_id
        for logical_id, resource in view.template["Resources"].items()
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        and "sts:GetWebIdentityToken" in json.dumps(resource["Properties"])
    }
    assert len(minters) == 1  # the platform principal's role, and nothing else


def test_tenant_audiences_the_functions_make_fit_the_policy():
    from infra.platform_policy import TENANT_AUDIENCES
    from skylight.logic.federation import AUDIENCE_PREFIX, new_federation_audience

    assert TENANT_AUDIENCES == AUDIENCE_PREFIX + "*"
    assert new_federation_audience().startswith(TENANT_AUDIENCES.removesuffix("*"))
