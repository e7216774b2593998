"""aws.rds.db_instance: every RDS database instance (Aurora members, Neptune and DocumentDB too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, records, tags_of

RESOURCE = ResourceType(name="aws.rds.db_instance", service="rds")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_db_instances", "DBInstances", 100)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["DBInstanceArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["DBInstanceIdentifier"],
        attributes={
            "status": raw.get("DBInstanceStatus"),
            "engine": raw.get("Engine"),
            "engine_version": raw.get("EngineVersion"),
            "instance_class": raw.get("DBInstanceClass"),
            "allocated_storage_gib": raw.get("AllocatedStorage"),
            "storage_type": raw.get("StorageType"),
            "multi_az": raw.get("MultiAZ"),
            "storage_encrypted": raw.get("StorageEncrypted"),
            "publicly_accessible": raw.get("PubliclyAccessible"),
            "vpc_id": (raw.get("DBSubnetGroup") or {}).get("VpcId"),
            "cluster": raw.get("DBClusterIdentifier"),
            "created_at": iso(raw.get("InstanceCreateTime")),
        },
        tags=tags_of(raw.get("TagList")),
    )
