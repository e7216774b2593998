"""aws.rds.db_cluster: every RDS database cluster (Aurora, Multi-AZ clusters, Neptune, DocumentDB)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, records, tags_of

RESOURCE = ResourceType(name="aws.rds.db_cluster", service="rds")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_db_clusters", "DBClusters", 100)


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["DBClusterArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["DBClusterIdentifier"],
        attributes={
            "status": raw.get("Status"),
            "engine": raw.get("Engine"),
            "engine_version": raw.get("EngineVersion"),
            "engine_mode": raw.get("EngineMode"),
            "members": len(raw.get("DBClusterMembers", [])),
            "multi_az": raw.get("MultiAZ"),
            "storage_encrypted": raw.get("StorageEncrypted"),
            "deletion_protection": raw.get("DeletionProtection"),
            "created_at": iso(raw.get("ClusterCreateTime")),
        },
        tags=tags_of(raw.get("TagList")),
    )
