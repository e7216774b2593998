"""Table, key and schedule group."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template


def test_key_rotates_and_has_the_alias(template: Template):
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/skylight"})


def test_key_lets_cloudwatch_logs_of_this_account_only(view):
    statements = view.properties("Key")["KeyPolicy"]["Statement"]
    logs = next(
        statement for statement in statements if statement.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    )

    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]


def test_table_keys_billing_pitr_ttl_and_customer_managed_encryption(view, template: Template):
    table = view.properties("Table")

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "pk", "AttributeType": "S"} in table["AttributeDefinitions"]
    assert {"AttributeName": "sk", "AttributeType": "S"} in table["AttributeDefinitions"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = table["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [view.ids["Key"], "Arn"]}}
    template.has_resource(
        "AWS::DynamoDB::GlobalTable", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )


def test_schedule_group_is_named_after_the_stack(view):
    assert view.properties("ScheduleGroup")["Name"] == "Skylight-schedules"


def test_every_log_group_is_encrypted_and_expires(view):
    log_groups = view.of_type("AWS::Logs::LogGroup").values()

    assert len(log_groups) == 10  # eight functions, the state machine, the API access logs
    for log_group in log_groups:
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [view.ids["Key"], "Arn"]}
        assert log_group["Properties"]["RetentionInDays"] == 30


def test_only_ttl_removals_of_account_items_reach_the_purge(view):
    (mapping,) = view.of_type("AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert properties["FunctionName"] == {"Ref": view.ids["PurgeFunction"]}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [view.ids["Table"], "StreamArn"]}
    (pattern,) = [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ACCOUNT#"}]}}},
    }
    assert properties["BisectBatchOnFunctionError"] is True
    assert "OnFailure" in properties["DestinationConfig"]
    assert view.properties("Table")["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
