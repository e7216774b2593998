"""aws.s3.bucket: every bucket of the account, from one listing (S3 lists buckets globally)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, Scope, iso, records

RESOURCE = ResourceType(name="aws.s3.bucket", service="s3", scope=Scope.GLOBAL, tags_from="s3")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    # Asking for a page size also makes S3 answer each bucket's region (BucketRegion), which spares
    # a GetBucketLocation per bucket. Tags come from the tagging API in each bucket's region.
    return records(client, "list_buckets", "Buckets", 10000)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    name = raw["Name"]
    return Resource(
        id=f"arn:{location.partition}:s3:::{name}",
        type=RESOURCE.name,
        # Without BucketRegion (never seen with a page size), the region the listing ran in.
        region=raw.get("BucketRegion") or location.region,
        name=name,
        attributes={"created_at": iso(raw.get("CreationDate"))},
    )
