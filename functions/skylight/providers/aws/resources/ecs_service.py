"""aws.ecs.service: every service of every ECS cluster, described in batches of 10 per cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, iso, records, tags_of

RESOURCE = ResourceType(name="aws.ecs.service", service="ecs")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    for cluster in records(client, "list_clusters", "clusterArns", 100):
        services = records(client, "list_services", "serviceArns", 100, cluster=cluster)
        for arns in batches(services, 10):
            # Tags come with the description at no extra call.
            described = client.describe_services(cluster=cluster, services=arns, include=["TAGS"])
            yield from described.get("services", [])


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["serviceArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["serviceName"],
        attributes={
            "cluster_arn": raw.get("clusterArn"),
            "status": raw.get("status"),
            "desired_count": raw.get("desiredCount"),
            "running_count": raw.get("runningCount"),
            "pending_count": raw.get("pendingCount"),
            "launch_type": raw.get("launchType"),
            "scheduling_strategy": raw.get("schedulingStrategy"),
            "task_definition": raw.get("taskDefinition"),
            "created_at": iso(raw.get("createdAt")),
        },
        tags=tags_of(raw.get("tags"), key="key", value="value"),
    )
