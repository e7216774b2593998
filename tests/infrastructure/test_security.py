"""IAM: the platform principal, least privilege per function, no wildcard actions."""

from __future__ import annotations

import re

from aws_cdk.assertions import Template

TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
WILDCARD_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:\*)$")


def test_platform_principal_has_a_fixed_name_and_one_hour_sessions(template: Template, view):
    role = view.properties("PlatformPrincipalRole")

    assert role["RoleName"] == "Skylight-platform-principal"
    assert role["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in role
    template.has_output(
        "PlatformPrincipalArn", {"Value": {"Fn::GetAtt": [view.ids["PlatformPrincipalRole"], "Arn"]}}
    )


def test_platform_principal_trusts_only_the_api_and_validate_roles(view, listed):
    trust = view.properties("PlatformPrincipalRole")["AssumeRolePolicyDocument"]["Statement"]

    (statement,) = trust
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert set(statement["Principal"]) == {"AWS"}
    trusted = {principal["Fn::GetAtt"][0] for principal in listed(statement["Principal"]["AWS"])}
    assert trusted == {view.role_of("ApiFunction"), view.role_of("ValidateFunction")}
    assert "Condition" not in statement


def test_platform_principal_may_only_assume_roles_outside_the_platform_account(view):
    statements = view.identity_statements(view.ids["PlatformPrincipalRole"])

    (statement,) = statements
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == "arn:aws:iam::*:role/*"
    assert statement["Condition"] == {"StringNotEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}}}


def test_only_api_and_validate_may_assume_the_platform_principal(view):
    for name in ("ApiFunction", "ConnectFunction", "ValidateFunction"):
        assumes = [
            statement
            for statement in view.identity_statements(view.role_of(name))
            if "sts:AssumeRole" in statement["Action"]
        ]
        if name == "ConnectFunction":
            assert assumes == []
            continue
        (statement,) = assumes
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Resource"]["Fn::Join"][1][-1] == ":role/Skylight-platform-principal"


def test_connect_function_cannot_write_the_table_or_reach_customers(view):
    actions = view.actions(view.role_of("ConnectFunction"))

    assert "dynamodb:GetItem" in actions
    assert not actions & TABLE_WRITES
    assert not {"sts:AssumeRole", "states:StartExecution", "kms:Encrypt"} & actions


def test_api_and_validate_functions_can_write_the_table(view):
    for name in ("ApiFunction", "ValidateFunction"):
        assert view.actions(view.role_of(name)) >= TABLE_WRITES


def test_only_the_api_function_starts_executions_of_its_state_machine(view):
    for name in ("ApiFunction", "ConnectFunction", "ValidateFunction"):
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
    for name in ("ApiFunction", "ConnectFunction", "ValidateFunction"):
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
