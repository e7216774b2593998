"""aws.ecs.service: every service of every ECS cluster (clusters at once), described 10 at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, described, iso, records, tags_of

RESOURCE = ResourceType(name="aws.ecs.service", service="ecs")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def services_of(cluster: str) -> list[dict[str, Any]]:
        services = records(client, "list_services", "serviceArns", 100, cluster=cluster)
        return [
            service
            for arns in batches(services, 10)
            # Tags come with the description at no extra call.
            for service in client.describe_services(cluster=cluster, services=arns, include=["TAGS"]).get(
                "services", []
            )
        ]

    for services in described(records(client, "list_clusters", "clusterArns", 100), services_of):
        yield from services


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
