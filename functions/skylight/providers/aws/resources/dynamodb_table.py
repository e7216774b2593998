"""aws.dynamodb.table: every DynamoDB table, described one by one (ListTables answers only names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.crawling.details import described, is_listed_only, listed_only
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, records, unless_deleted

RESOURCE = ResourceType(name="aws.dynamodb.table", service="dynamodb", tags_from="dynamodb:table")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # Tags come from the tagging API (RESOURCE.tags_from), not from a call per table.
    def describe(name: str) -> dict[str, Any] | None:
        answer = unless_deleted(client, client.describe_table, TableName=name)
        return answer["Table"] if answer is not None else None

    names = records(client, "list_tables", "TableNames", 100)
    yield from described(names, describe, as_listed=lambda name: listed_only(TableName=name))


def transform(raw: dict[str, Any], location: Location) -> Resource:
    name = raw["TableName"]
    return Resource(
        # DescribeTable's ARN is this one: a table listed only is the same item as when described.
        id=raw.get("TableArn") or location.arn("dynamodb", f"table/{name}"),
        type=RESOURCE.name,
        region=location.region,
        name=name,
        attributes={} if is_listed_only(raw) else _attributes(raw),
    )


def _attributes(raw: dict[str, Any]) -> dict[str, Any]:
    throughput = raw.get("ProvisionedThroughput") or {}
    return {
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
    }
