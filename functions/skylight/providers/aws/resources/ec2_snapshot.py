"""aws.ec2.snapshot: the EBS snapshots the account owns (not those shared with it or public)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource, iso, records

RESOURCE = ResourceType(name="aws.ec2.snapshot", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_snapshots", "Snapshots", 1000, OwnerIds=["self"])


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "snapshot",
        "SnapshotId",
        {
            "snapshot_id": raw["SnapshotId"],
            "state": raw.get("State"),
            "volume_id": raw.get("VolumeId"),
            "volume_size_gib": raw.get("VolumeSize"),
            "encrypted": raw.get("Encrypted"),
            "storage_tier": raw.get("StorageTier"),
            "description": raw.get("Description") or None,
            "started_at": iso(raw.get("StartTime")),
        },
    )
