"""aws.autoscaling.group: every Auto Scaling group, with its tags (the list call returns them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, iso, records, tags_of

RESOURCE = ResourceType(name="aws.autoscaling.group", service="autoscaling")


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    return records(client, "describe_auto_scaling_groups", "AutoScalingGroups", 100)


def _launched_from(raw: dict[str, Any]) -> str | None:
    template = raw.get("LaunchTemplate") or raw.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get(
        "LaunchTemplateSpecification"
    )
    if template:
        return f"launch-template:{template.get('LaunchTemplateName') or template.get('LaunchTemplateId')}"
    name = raw.get("LaunchConfigurationName")
    return f"launch-configuration:{name}" if name else None


def transform(raw: dict[str, Any], location: Location) -> Resource:
    subnets = raw.get("VPCZoneIdentifier") or ""
    return Resource(
        id=raw["AutoScalingGroupARN"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["AutoScalingGroupName"],
        attributes={
            "desired_capacity": raw.get("DesiredCapacity"),
            "min_size": raw.get("MinSize"),
            "max_size": raw.get("MaxSize"),
            "instances": len(raw.get("Instances", [])),
            "launched_from": _launched_from(raw),
            "availability_zones": raw.get("AvailabilityZones", []),
            "subnet_ids": [subnet for subnet in subnets.split(",") if subnet],
            "health_check_type": raw.get("HealthCheckType"),
            "created_at": iso(raw.get("CreatedTime")),
        },
        tags=tags_of(raw.get("Tags")),
    )
