"""aws.ec2.security_group: every security group, the default ones included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource, records

RESOURCE = ResourceType(name="aws.ec2.security_group", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # Paginated, the call stays in EC2's larger throttling bucket.
    return records(client, "describe_security_groups", "SecurityGroups", 1000)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "security-group",
        "GroupId",
        {
            "group_id": raw["GroupId"],
            "group_name": raw.get("GroupName"),
            "description": raw.get("Description"),
            "vpc_id": raw.get("VpcId"),
            "inbound_rules": len(raw.get("IpPermissions", [])),
            "outbound_rules": len(raw.get("IpPermissionsEgress", [])),
        },
        own_name=raw.get("GroupName"),
    )
