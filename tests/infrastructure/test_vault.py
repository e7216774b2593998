"""The vault's key: its own, rotating, and usable only with the full encryption context, by few functions."""

from __future__ import annotations

PURPOSE_CONDITION = "kms:EncryptionContext:purpose"


def _vault_statements(view, function_name, action):
    return [
        statement
        for statement in view.identity_statements(view.role_of(function_name))
        if action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        and statement["Resource"] == {"Fn::GetAtt": [view.ids["VaultKey"], "Arn"]}
    ]


def test_the_vault_has_its_own_rotating_key(view):
    key = view.properties("VaultKey")
    assert key["EnableKeyRotation"] is True
    assert view.ids["VaultKey"] != view.ids["Key"]
    assert view.resources[view.ids["VaultKey"]]["DeletionPolicy"] == "Retain"


OPENERS = ("ApiFunction", "ValidateFunction", "PlanFunction", "CrawlRegionFunction")


def test_only_the_api_seals_and_only_functions_that_call_the_cloud_open_secrets(view):
    assert len(_vault_statements(view, "ApiFunction", "kms:GenerateDataKey")) == 1
    for name in OPENERS[1:]:
        assert _vault_statements(view, name, "kms:GenerateDataKey") == []
    for name in OPENERS:
        assert len(_vault_statements(view, name, "kms:Decrypt")) == 1
    for name in ("BeginFunction", "FinishFunction", "PurgeFunction"):
        assert _vault_statements(view, name, "kms:Decrypt") == []


def test_every_vault_grant_demands_the_full_encryption_context(view):
    for name, action in [
        ("ApiFunction", "kms:GenerateDataKey"),
        ("ApiFunction", "kms:Decrypt"),
        ("ValidateFunction", "kms:Decrypt"),
        ("CrawlRegionFunction", "kms:Decrypt"),
    ]:
        (statement,) = _vault_statements(view, name, action)
        conditions = statement["Condition"]
        assert conditions["StringEquals"][PURPOSE_CONDITION] == ["aws_access_key"]
        assert conditions["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"] == [
            "tenant_id",
            "account_id",
            "purpose",
        ]
        assert conditions["Null"] == {
            "kms:EncryptionContext:tenant_id": "false",
            "kms:EncryptionContext:account_id": "false",
        }


def test_functions_that_use_the_vault_know_its_key(view):
    for name in OPENERS:
        variables = view.properties(name)["Environment"]["Variables"]
        assert variables["VAULT_KEY_ID"] == {"Fn::GetAtt": [view.ids["VaultKey"], "Arn"]}
        assert variables["CREDENTIAL_WARN_DAYS"] == "60"
        assert variables["CREDENTIAL_ROTATE_DAYS"] == "90"
