"""aws.ec2.volume: every EBS volume."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource, iso, records

RESOURCE = ResourceType(name="aws.ec2.volume", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # Paginated, the call stays in EC2's larger throttling bucket.
    return records(client, "describe_volumes", "Volumes", 1000)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "volume",
        "VolumeId",
        {
            "volume_id": raw["VolumeId"],
            "state": raw.get("State"),
            "size_gib": raw.get("Size"),
            "volume_type": raw.get("VolumeType"),
            "iops": raw.get("Iops"),
            "encrypted": raw.get("Encrypted"),
            "availability_zone": raw.get("AvailabilityZone"),
            "snapshot_id": raw.get("SnapshotId") or None,
            "attached_to": [a["InstanceId"] for a in raw.get("Attachments", []) if a.get("InstanceId")],
            "created_at": iso(raw.get("CreateTime")),
        },
    )
