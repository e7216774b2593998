"""aws.ec2.instance: every instance that is not terminated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, tags_of

RESOURCE = ResourceType(name="aws.ec2.instance", service="ec2", skip_unchanged_pages=True)

# A filter keeps the call in EC2's larger throttling bucket and skips instances that are gone.
LIVE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    pages = client.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": LIVE_STATES}],
        PaginationConfig={"PageSize": 1000},
    )
    for page in pages:
        for reservation in page.get("Reservations", []):
            yield from reservation.get("Instances", [])


def transform(raw: dict[str, Any], location: Location) -> Resource:
    tags = tags_of(raw.get("Tags"))
    return Resource(
        id=location.arn("ec2", f"instance/{raw['InstanceId']}"),
        type=RESOURCE.name,
        region=location.region,
        name=tags.get("Name") or raw["InstanceId"],
        attributes={
            "instance_id": raw["InstanceId"],
            "state": raw.get("State", {}).get("Name"),
            "instance_type": raw.get("InstanceType"),
            "availability_zone": raw.get("Placement", {}).get("AvailabilityZone"),
            "vpc_id": raw.get("VpcId"),
            "private_ip": raw.get("PrivateIpAddress"),
            "platform": raw.get("PlatformDetails"),
            "launched_at": iso(raw.get("LaunchTime")),
        },
        tags=tags,
    )
