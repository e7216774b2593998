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


OPENERS = ("ApiFunction", "ValidateFunction", "PlanFunction", "CrawlSegmentsFunction")


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
        ("CrawlSegmentsFunction", "kms:Decrypt"),
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


def _table_statements(view, function_name):
    table = {"Fn::GetAtt": [view.ids["SecretsTable"], "Arn"]}
    found = []
    for statement in view.identity_statements(view.role_of(function_name)):
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if table in resources:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            found += actions
    return set(found)


def test_secrets_live_in_a_table_that_no_backup_outlives(view):
    (secrets,) = view.properties("SecretsTable")["Replicas"]
    (main,) = view.properties("Table")["Replicas"]
    assert view.ids["SecretsTable"] != view.ids["Table"]
    # Crypto-shredding: a destroyed secret must not come back from a point-in-time restore.
    assert secrets["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}
    assert main["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert secrets["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [view.ids["Key"], "Arn"]}
    assert view.resources[view.ids["SecretsTable"]]["DeletionPolicy"] == "Retain"


def test_only_the_api_writes_secrets_and_only_openers_read_them(view):
    api = _table_statements(view, "ApiFunction")
    assert {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem"} <= api
    for name in OPENERS[1:]:
        actions = _table_statements(view, name)
        assert "dynamodb:GetItem" in actions
        assert not actions & {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"}
    for name in ("BeginFunction", "FinishFunction", "PurgeFunction"):
        assert _table_statements(view, name) == set()
    for name in OPENERS:
        variables = view.properties(name)["Environment"]["Variables"]
        assert variables["SECRETS_TABLE_NAME"] == {"Ref": view.ids["SecretsTable"]}
