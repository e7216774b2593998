"""aws.ecs.service: every service of every ECS cluster (clusters at once), described 10 at a time."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from skylight.crawling.details import described, is_listed_only, listed_only, or_as_listed
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, iso, records, tags_of

RESOURCE = ResourceType(name="aws.ecs.service", service="ecs")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def describe(cluster: str, arns: list[str]) -> list[dict[str, Any]]:
        # Tags come with the description at no extra call.
        answer = client.describe_services(cluster=cluster, services=arns, include=["TAGS"])
        return list(answer.get("services", []))

    def as_listed(cluster: str, arns: list[str]) -> list[dict[str, Any]]:
        return [listed_only(serviceArn=arn, clusterArn=cluster) for arn in arns]

    def services_of(cluster: str) -> list[dict[str, Any]]:
        services = records(client, "list_services", "serviceArns", 100, cluster=cluster)
        return [
            service
            for arns in batches(services, 10)
            for service in or_as_listed(partial(describe, cluster, arns), partial(as_listed, cluster, arns))
        ]

    for services in described(records(client, "list_clusters", "clusterArns", 100), services_of):
        yield from services


def transform(raw: dict[str, Any], location: Location) -> Resource:
    arn = raw["serviceArn"]
    return Resource(
        id=arn,
        type=RESOURCE.name,
        region=location.region,
        # A service's ARN ends with its name: service/<cluster>/<name> (or service/<name>).
        name=raw.get("serviceName") or arn.rsplit("/", 1)[-1],
        attributes={"cluster_arn": raw.get("clusterArn")} if is_listed_only(raw) else _attributes(raw),
        tags=tags_of(raw.get("tags"), key="key", value="value"),
    )


def _attributes(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster_arn": raw.get("clusterArn"),
        "status": raw.get("status"),
        "desired_count": raw.get("desiredCount"),
        "running_count": raw.get("runningCount"),
        "pending_count": raw.get("pendingCount"),
        "launch_type": raw.get("launchType"),
        "scheduling_strategy": raw.get("schedulingStrategy"),
        "task_definition": raw.get("taskDefinition"),
        "created_at": iso(raw.get("createdAt")),
    }
