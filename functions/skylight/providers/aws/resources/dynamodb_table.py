"""aws.dynamodb.table: every DynamoDB table, described one by one (ListTables answers only names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import (
    Location,
    ResourceType,
    described,
    iso,
    records,
    unless_deleted,
)

RESOURCE = ResourceType(name="aws.dynamodb.table", service="dynamodb", tags_from="dynamodb:table")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # Tags come from the tagging API (RESOURCE.tags_from), not from a call per table.
    def describe(name: str) -> dict[str, Any] | None:
        return unless_deleted(client, client.describe_table, TableName=name)

    for table in described(records(client, "list_tables", "TableNames", 100), describe):
        yield table["Table"]


def transform(raw: dict[str, Any], location: Location) -> Resource:
    throughput = raw.get("ProvisionedThroughput") or {}
    return Resource(
        id=raw["TableArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["TableName"],
        attributes={
            "status": raw.get("TableStatus"),
            # Tables that never had a billing mode set are provisioned.
            "billing_mode": (raw.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
            "table_class": (raw.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
            "item_count": raw.get("ItemCount"),
            "size_bytes": raw.get("TableSizeBytes"),
            "read_capacity": throughput.get("ReadCapacityUnits"),
            "write_capacity": throughput.get("WriteCapacityUnits"),
            "encrypted_with_kms": (raw.get("SSEDescription") or {}).get("Status") == "ENABLED",
            "deletion_protection": raw.get("DeletionProtectionEnabled", False),
            "created_at": iso(raw.get("CreationDateTime")),
        },
    )
