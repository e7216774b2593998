"""aws.ec2.elastic_ip: every Elastic IP address allocated to the account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource

RESOURCE = ResourceType(name="aws.ec2.elastic_ip", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # DescribeAddresses has no pagination: one call answers every address of the region.
    yield from client.describe_addresses().get("Addresses", [])


def transform(raw: dict[str, Any], location: Location) -> Resource:
    # Addresses without an allocation id (EC2-Classic, long gone) fall back to the address itself.
    id_key = "AllocationId" if raw.get("AllocationId") else "PublicIp"
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "elastic-ip",
        id_key,
        {
            "allocation_id": raw.get("AllocationId"),
            "public_ip": raw.get("PublicIp"),
            "private_ip": raw.get("PrivateIpAddress"),
            "domain": raw.get("Domain"),
            "associated": bool(raw.get("AssociationId")),
            "instance_id": raw.get("InstanceId") or None,
            "network_interface_id": raw.get("NetworkInterfaceId"),
            "network_border_group": raw.get("NetworkBorderGroup"),
        },
        own_name=raw.get("PublicIp"),
    )
