"""aws.ec2.vpc: every VPC, the default one included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource, records

RESOURCE = ResourceType(name="aws.ec2.vpc", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_vpcs", "Vpcs", 1000)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "vpc",
        "VpcId",
        {
            "vpc_id": raw["VpcId"],
            "state": raw.get("State"),
            "cidr_block": raw.get("CidrBlock"),
            "is_default": raw.get("IsDefault"),
            "instance_tenancy": raw.get("InstanceTenancy"),
            "ipv6_cidr_blocks": [
                block["Ipv6CidrBlock"]
                for block in raw.get("Ipv6CidrBlockAssociationSet", [])
                if block.get("Ipv6CidrBlock")
            ],
        },
    )
