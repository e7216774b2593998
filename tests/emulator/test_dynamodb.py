"""DynamoDB in the emulator answers as DynamoDB does, at the cost of the items a request names.

The patches (`local.emulator.dynamodb_queries`, `local.emulator.dynamodb_transactions`) change how
moto finds a query's items and how it rolls a transaction back; these tests pin the answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Aws

TABLE = "emulated-table"


@pytest.fixture
def table(aws: Aws) -> Any:
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for partition in ("A", "B"):
        for sort_key in ("RES#a#1", "RES#a#2", "RES#a#3", "RES#b#1", "RES#c#1", "SUMMARY"):
            dynamodb.put_item(
                TableName=TABLE,
                Item={"pk": {"S": partition}, "sk": {"S": sort_key}, "v": {"N": "1"}},
            )
    yield dynamodb
    dynamodb.delete_table(TableName=TABLE)


def _query(dynamodb: Any, condition: str, values: dict[str, Any], **extra: Any) -> list[str]:
    answer = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **extra,
    )
    return [item["sk"]["S"] for item in answer["Items"]]


def test_begins_with_reads_its_prefix_of_its_partition_in_order(table: Any) -> None:
    values = {":pk": {"S": "A"}, ":prefix": {"S": "RES#a#"}}
    condition = "pk = :pk AND begins_with(sk, :prefix)"
    assert _query(table, condition, values) == ["RES#a#1", "RES#a#2", "RES#a#3"]
    assert _query(table, condition, values, ScanIndexForward=False) == ["RES#a#3", "RES#a#2", "RES#a#1"]


def test_begins_with_pages_resume_where_they_stopped(table: Any) -> None:
    condition = "pk = :pk AND begins_with(sk, :prefix)"
    values = {":pk": {"S": "B"}, ":prefix": {"S": "RES#"}}
    first = table.query(
        TableName=TABLE, KeyConditionExpression=condition, ExpressionAttributeValues=values, Limit=3
    )
    rest = table.query(
        TableName=TABLE,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"]["S"] for i in first["Items"] + rest["Items"]] == [
        "RES#a#1",
        "RES#a#2",
        "RES#a#3",
        "RES#b#1",
        "RES#c#1",
    ]


def test_other_key_conditions_still_hold(table: Any) -> None:
    between = {":pk": {"S": "A"}, ":low": {"S": "RES#a#2"}, ":high": {"S": "RES#b#9"}}
    assert _query(table, "pk = :pk AND sk BETWEEN :low AND :high", between) == [
        "RES#a#2",
        "RES#a#3",
        "RES#b#1",
    ]
    assert _query(table, "pk = :pk AND sk > :low", {":pk": {"S": "A"}, ":low": {"S": "RES#c"}}) == [
        "RES#c#1",
        "SUMMARY",
    ]
    assert len(_query(table, "pk = :pk", {":pk": {"S": "B"}})) == 6


def _item(dynamodb: Any, sort_key: str) -> dict[str, Any] | None:
    answer = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "A"}, "sk": {"S": sort_key}})
    item: dict[str, Any] | None = answer.get("Item")
    return item


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: Any) -> None:
    with pytest.raises(ClientError) as cancelled:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "NEW"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "A"}, "sk": {"S": "RES#a#1"}},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "A"}, "sk": {"S": "RES#a#2"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "A"}, "sk": {"S": "SUMMARY"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(table, "NEW") is None
    assert _item(table, "RES#a#1") == {"pk": {"S": "A"}, "sk": {"S": "RES#a#1"}, "v": {"N": "1"}}
    assert _item(table, "RES#a#2") is not None


def test_a_transaction_that_goes_through_writes_all_its_items(table: Any) -> None:
    table.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "NEW"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "A"}, "sk": {"S": "RES#a#2"}}}},
        ]
    )
    assert _item(table, "NEW") is not None
    assert _item(table, "RES#a#2") is None


def test_conditional_writes_from_concurrent_requests_are_atomic(table: Any) -> None:
    # Given many requests at once, each adding one to a counter only while it is below five
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def take(_: int) -> bool:
        try:
            table.update_item(
                TableName=TABLE,
                Key={"pk": {"S": "C"}, "sk": {"S": "COUNTER"}},
                UpdateExpression="ADD used :one",
                ConditionExpression="attribute_not_exists(used) OR used < :most",
                ExpressionAttributeValues={":one": {"N": "1"}, ":most": {"N": "5"}},
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False
        return True

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: a race has every chance
    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            taken = sum(pool.map(take, range(120)))
    finally:
        sys.setswitchinterval(switch)

    # Then exactly five passed the condition, and the counter says five
    item = table.get_item(
        TableName=TABLE, Key={"pk": {"S": "C"}, "sk": {"S": "COUNTER"}}, ConsistentRead=True
    )
    assert (taken, item["Item"]["used"]["N"]) == (5, "5")
