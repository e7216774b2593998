"""aws.ecs.cluster: every ECS cluster, described in batches of 100 (ListClusters answers only ARNs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, records, tags_of

RESOURCE = ResourceType(name="aws.ecs.cluster", service="ecs")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    for arns in batches(records(client, "list_clusters", "clusterArns", 100), 100):
        # Tags come with the description at no extra call.
        yield from client.describe_clusters(clusters=arns, include=["TAGS"]).get("clusters", [])


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["clusterArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["clusterName"],
        attributes={
            "status": raw.get("status"),
            "active_services": raw.get("activeServicesCount"),
            "running_tasks": raw.get("runningTasksCount"),
            "pending_tasks": raw.get("pendingTasksCount"),
            "container_instances": raw.get("registeredContainerInstancesCount"),
            "capacity_providers": raw.get("capacityProviders", []),
        },
        tags=tags_of(raw.get("tags"), key="key", value="value"),
    )
