"""aws.lambda.function: every Lambda function (its unpublished version, $LATEST)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, records

RESOURCE = ResourceType(
    name="aws.lambda.function", service="lambda", tags_from="lambda:function", skip_unchanged_pages=True
)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # 50 is ListFunctions' most. Tags come from the tagging API (RESOURCE.tags_from).
    return records(client, "list_functions", "Functions", 50)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["FunctionArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["FunctionName"],
        attributes={
            "runtime": raw.get("Runtime"),
            "package_type": raw.get("PackageType"),
            "architectures": raw.get("Architectures", []),
            "memory_mb": raw.get("MemorySize"),
            "timeout_s": raw.get("Timeout"),
            "code_size_bytes": raw.get("CodeSize"),
            "state": raw.get("State"),
            "vpc_id": (raw.get("VpcConfig") or {}).get("VpcId") or None,
            # Lambda answers this as text already (2024-01-01T00:00:00.000+0000).
            "last_modified": raw.get("LastModified"),
        },
    )
