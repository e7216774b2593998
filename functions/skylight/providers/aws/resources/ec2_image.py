"""aws.ec2.image: the AMIs the account owns, disabled ones included (their snapshots still exist)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, ec2_resource, records

RESOURCE = ResourceType(name="aws.ec2.image", service="ec2", skip_unchanged_pages=True)


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_images", "Images", 1000, Owners=["self"], IncludeDisabled=True)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return ec2_resource(
        RESOURCE,
        raw,
        location,
        "image",
        "ImageId",
        {
            "image_id": raw["ImageId"],
            "state": raw.get("State"),
            "architecture": raw.get("Architecture"),
            "platform": raw.get("PlatformDetails"),
            "root_device_type": raw.get("RootDeviceType"),
            "public": raw.get("Public"),
            # EC2 answers these two as ISO 8601 text already.
            "created_at": raw.get("CreationDate"),
            "deprecated_at": raw.get("DeprecationTime"),
        },
        own_name=raw.get("Name"),
    )
