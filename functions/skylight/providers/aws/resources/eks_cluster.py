"""aws.eks.cluster: every EKS cluster, described one by one (ListClusters answers only names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import (
    Location,
    ResourceType,
    described,
    iso,
    records,
    unless_deleted,
)

RESOURCE = ResourceType(name="aws.eks.cluster", service="eks")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def describe(name: str) -> dict[str, Any] | None:
        return unless_deleted(client, client.describe_cluster, name=name)

    for cluster in described(records(client, "list_clusters", "clusters", 100), describe):
        yield cluster["cluster"]


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["arn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["name"],
        attributes={
            "status": raw.get("status"),
            "version": raw.get("version"),
            "platform_version": raw.get("platformVersion"),
            "vpc_id": (raw.get("resourcesVpcConfig") or {}).get("vpcId"),
            "public_endpoint": (raw.get("resourcesVpcConfig") or {}).get("endpointPublicAccess"),
            "created_at": iso(raw.get("createdAt")),
        },
        tags={str(key): str(value) for key, value in (raw.get("tags") or {}).items()},
    )
