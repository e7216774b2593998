"""aws.elbv2.load_balancer: every Application, Network and Gateway Load Balancer, with its tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from skylight.crawling.details import described
from skylight.models.inventory import Resource
from skylight.providers.aws.resources import Location, ResourceType, batches, iso, records, tags_of

RESOURCE = ResourceType(name="aws.elbv2.load_balancer", service="elbv2")

# DescribeTags takes at most 20 ARNs a call.
TAGS_BATCH = 20


def fetch(client: Any) -> Iterator[dict[str, Any]]:
    def with_tags(balancers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = client.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in balancers])
        tags = {item["ResourceArn"]: item.get("Tags", []) for item in answer.get("TagDescriptions", [])}
        return [{**balancer, "Tags": tags.get(balancer["LoadBalancerArn"], [])} for balancer in balancers]

    listed = batches(records(client, "describe_load_balancers", "LoadBalancers", 400), TAGS_BATCH)
    # Without their tags (DescribeTags refused or failed), the balancers are as listed.
    for tagged in described(listed, with_tags, as_listed=lambda balancers: balancers):
        yield from tagged


def transform(raw: dict[str, Any], location: Location) -> Resource:
    return Resource(
        id=raw["LoadBalancerArn"],
        type=RESOURCE.name,
        region=location.region,
        name=raw["LoadBalancerName"],
        attributes={
            "type": raw.get("Type"),
            "scheme": raw.get("Scheme"),
            "state": (raw.get("State") or {}).get("Code"),
            "vpc_id": raw.get("VpcId"),
            "dns_name": raw.get("DNSName"),
            "ip_address_type": raw.get("IpAddressType"),
            "availability_zones": [zone["ZoneName"] for zone in raw.get("AvailabilityZones", [])],
            "created_at": iso(raw.get("CreatedTime")),
        },
        tags=tags_of(raw.get("Tags")),
    )
