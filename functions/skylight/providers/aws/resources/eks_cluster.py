"""aws.eks.cluster: every EKS cluster, described one by one (ListClusters answers only names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.crawling.details import described, is_listed_only, listed_only
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, records, unless_deleted

RESOURCE = ResourceType(name="aws.eks.cluster", service="eks")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def describe(name: str) -> dict[str, Any] | None:
        answer = unless_deleted(client, client.describe_cluster, name=name)
        return answer["cluster"] if answer is not None else None

    names = records(client, "list_clusters", "clusters", 100)
    yield from described(names, describe, as_listed=lambda name: listed_only(name=name))


def transform(raw: dict[str, Any], location: Location) -> Resource:
    name = raw["name"]
    return Resource(
        # DescribeCluster's ARN is this one: a cluster listed only is the same item as when described.
        id=raw.get("arn") or location.arn("eks", f"cluster/{name}"),
        type=RESOURCE.name,
        region=location.region,
        name=name,
        attributes={} if is_listed_only(raw) else _attributes(raw),
        tags={str(key): str(value) for key, value in (raw.get("tags") or {}).items()},
    )


def _attributes(raw: dict[str, Any]) -> dict[str, Any]:
    vpc = raw.get("resourcesVpcConfig") or {}
    return {
        "status": raw.get("status"),
        "version": raw.get("version"),
        "platform_version": raw.get("platformVersion"),
        "vpc_id": vpc.get("vpcId"),
        "public_endpoint": vpc.get("endpointPublicAccess"),
        "created_at": iso(raw.get("createdAt")),
    }
