"""The vault and cursor keys' own key policies: the account administers each key, and only the
granted functions' roles may use it, under the same conditions as their identity grants."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from infra.constructs.key_policy import ADMINISTRATION_ACTIONS

ROOT = {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
# Every KMS operation that uses key material, and CreateGrant, which can hand that use to anyone.
CRYPTOGRAPHIC_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:Sign",
    "kms:Verify",
    "kms:DeriveSharedSecret",
    "kms:CreateGrant",
)
VAULT_CONDITIONS = {
    "StringEquals": {"kms:EncryptionContext:purpose": ["aws_access_key"]},
    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant_id", "account_id", "purpose"]},
    "Null": {"kms:EncryptionContext:tenant_id": "false", "kms:EncryptionContext:account_id": "false"},
}
CURSOR_CONDITIONS = {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}
OPENERS = ("ApiFunction", "ValidateFunction", "PlanFunction", "CrawlSegmentsFunction")

# Per key: which functions' roles may make which call, and under which conditions.
EXPECTED_USES = {
    "VaultKey": (
        {"kms:GenerateDataKey": ("ApiFunction",), "kms:Decrypt": OPENERS},
        VAULT_CONDITIONS,
    ),
    "CursorKey": ({"kms:GenerateMac": ("ApiFunction",)}, CURSOR_CONDITIONS),
}
KEYS = tuple(EXPECTED_USES)


def _listed(value):
    return value if isinstance(value, list) else [value]


def _key_statements(view, key):
    return view.properties(key)["KeyPolicy"]["Statement"]


def _principals(statement):
    assert "NotPrincipal" not in statement, statement
    assert set(statement["Principal"]) == {"AWS"}, statement
    return _listed(statement["Principal"]["AWS"])


def _covers(patterns, action):
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _uses(view, key):
    """{(role logical id, action): conditions} for every non-root statement of the key policy."""
    uses = {}
    for statement in _key_statements(view, key):
        principals = _principals(statement)
        if principals == [ROOT]:
            continue
        for principal in principals:
            role_id, attribute = principal["Fn::GetAtt"]
            assert attribute == "Arn"
            for action in _listed(statement["Action"]):
                assert (role_id, action) not in uses, (role_id, action)
                uses[(role_id, action)] = statement.get("Condition")
    return uses


@pytest.mark.parametrize("key", KEYS)
def test_the_account_root_may_administer_the_key_and_nothing_more(view, key):
    roots = [s for s in _key_statements(view, key) if ROOT in _principals(s)]

    # One statement for the root: CDK's default `kms:*` statement is not there beside it.
    (statement,) = roots
    assert _principals(statement) == [ROOT]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    assert "Condition" not in statement and "NotAction" not in statement
    assert set(_listed(statement["Action"])) == set(ADMINISTRATION_ACTIONS)
    actions = _listed(statement["Action"])
    assert not {"kms:*", "*"} & set(actions)
    for action in CRYPTOGRAPHIC_ACTIONS:
        assert not _covers(actions, action), action
    # Administration stays whole: nobody is locked out of the key.
    for action in (
        "kms:PutKeyPolicy",
        "kms:GetKeyPolicy",
        "kms:DescribeKey",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:CreateAlias",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ListResourceTags",
        "kms:RevokeGrant",
    ):
        assert _covers(actions, action), action


@pytest.mark.parametrize("key", KEYS)
def test_exactly_the_granted_function_roles_may_use_the_key_with_the_grants_conditions(view, key):
    expected_actions, conditions = EXPECTED_USES[key]
    expected = {
        (view.role_of(function), action): conditions
        for action, functions in expected_actions.items()
        for function in functions
    }

    assert _uses(view, key) == expected


@pytest.mark.parametrize("key", KEYS)
def test_no_other_principal_may_use_the_key(view, key):
    expected_actions, _ = EXPECTED_USES[key]
    function_roles = {
        view.role_of(function) for functions in expected_actions.values() for function in functions
    }

    for statement in _key_statements(view, key):
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "*"
        assert "NotAction" not in statement and "NotResource" not in statement
        principals = _principals(statement)
        assert "*" not in principals
        if principals == [ROOT]:
            continue
        # Only roles that a grant named, and only the calls their grants name.
        assert {principal["Fn::GetAtt"][0] for principal in principals} <= function_roles
        assert set(_listed(statement["Action"])) <= set(expected_actions)
    # No KMS grant resource hands out a use the key policy does not show.
    assert not view.of_type("AWS::KMS::Grant")


@pytest.mark.parametrize("key", KEYS)
def test_each_key_policy_use_is_also_in_the_roles_own_policy(view, key):
    key_arn = {"Fn::GetAtt": [view.ids[key], "Arn"]}
    for (role_id, action), conditions in _uses(view, key).items():
        matching = [
            statement
            for statement in view.identity_statements(role_id)
            if action in _listed(statement["Action"]) and key_arn in _listed(statement["Resource"])
        ]
        assert [statement.get("Condition") for statement in matching] == [conditions], (role_id, action)
