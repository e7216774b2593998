"""aws.ecs.cluster: every ECS cluster, described in batches of 100 (ListClusters answers only ARNs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.crawling.details import described, is_listed_only, listed_only
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, records, tags_of

RESOURCE = ResourceType(name="aws.ecs.cluster", service="ecs")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def describe(arns: list[str]) -> list[dict[str, Any]]:
        # Tags come with the description at no extra call.
        return list(client.describe_clusters(clusters=arns, include=["TAGS"]).get("clusters", []))

    def as_listed(arns: list[str]) -> list[dict[str, Any]]:
        return [listed_only(clusterArn=arn) for arn in arns]

    listed = batches(records(client, "list_clusters", "clusterArns", 100), 100)
    for clusters in described(listed, describe, as_listed):
        yield from clusters


def transform(raw: dict[str, Any], location: Location) -> Resource:
    arn = raw["clusterArn"]
    return Resource(
        id=arn,
        type=RESOURCE.name,
        region=location.region,
        # A cluster's ARN ends with its name: cluster/<name>.
        name=raw.get("clusterName") or arn.rsplit("/", 1)[-1],
        attributes={} if is_listed_only(raw) else _attributes(raw),
        tags=tags_of(raw.get("tags"), key="key", value="value"),
    )


def _attributes(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": raw.get("status"),
        "active_services": raw.get("activeServicesCount"),
        "running_tasks": raw.get("runningTasksCount"),
        "pending_tasks": raw.get("pendingTasksCount"),
        "container_instances": raw.get("registeredContainerInstancesCount"),
        "capacity_providers": raw.get("capacityProviders", []),
    }
