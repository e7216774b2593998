"""The cursor key: an HMAC key of its own, named to the API function only, which may only GenerateMac."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from tests.infrastructure.test_security import FUNCTIONS


@pytest.fixture(scope="module")
def cursor_key_id(synthesis):
    stack = synthesis.stack
    return str(stack.resolve(stack.get_logical_id(stack.cursor_key.key.node.default_child)))


def _mentions(value, logical_id):
    return logical_id in str(value)


def test_the_cursor_key_is_an_hmac_key_of_its_own(view, cursor_key_id):
    key = view.resources[cursor_key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == (
        "HMAC_256",
        "GENERATE_VERIFY_MAC",
    )
    # KMS cannot rotate HMAC keys; asking it to would fail the deployment.
    assert not key["Properties"].get("EnableKeyRotation")
    assert cursor_key_id not in (view.ids["Key"], view.ids["VaultKey"])
    hmac_keys = [
        logical_id
        for logical_id, resource in view.of_type("AWS::KMS::Key").items()
        if resource["Properties"].get("KeySpec") == "HMAC_256"
    ]
    assert hmac_keys == [cursor_key_id]


def test_only_the_api_function_knows_the_cursor_key(view, cursor_key_id):
    for name in FUNCTIONS:
        variables = view.properties(name)["Environment"]["Variables"]
        if name == "ApiFunction":
            assert variables["CURSOR_KEY_ID"] == {"Fn::GetAtt": [cursor_key_id, "Arn"]}
        else:
            assert "CURSOR_KEY_ID" not in variables, name


def test_only_the_api_function_may_generate_macs_and_only_with_hmac_sha_256(view, cursor_key_id, listed):
    (statement,) = [
        statement
        for statement in view.identity_statements(view.role_of("ApiFunction"))
        if _mentions(statement["Resource"], cursor_key_id)
    ]
    assert listed(statement["Action"]) == ["kms:GenerateMac"]
    assert statement["Resource"] == {"Fn::GetAtt": [cursor_key_id, "Arn"]}
    assert statement["Condition"] == {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}

    # No other identity policy in the stack allows GenerateMac (wildcards included) or names the key.
    allowing = [
        candidate
        for candidate in view.all_policy_statements()
        if candidate["Effect"] == "Allow"
        and any(fnmatchcase("kms:generatemac", action.lower()) for action in listed(candidate["Action"]))
    ]
    assert allowing == [statement]
    granting = [
        role_id
        for role_id in view.of_type("AWS::IAM::Role")
        if any(_mentions(s["Resource"], cursor_key_id) for s in view.identity_statements(role_id))
    ]
    assert granting == [view.role_of("ApiFunction")]
