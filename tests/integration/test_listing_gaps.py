"""A detail or tagging call the customer's role may not make never hides what its listing returned.

At the crawler's level, with the production gateway, against the emulator, which holds a customer
role to its policy as AWS would: each listing keeps every item it listed, without what the refused
call would have added, and says which action was refused (its `gaps`).
"""

from __future__ import annotations

from typing import Any

import pytest

from skylight.models.inventory import RecordedListing, TypeListing
from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import ResourceModule, resource_modules
from tests.faults import CallLog
from tests.integration.crawling import customer, customer_function, customer_table
from tests.support import (
    CUSTOMER_ACCOUNT,
    INVENTORY_READ,
    PLATFORM_PRINCIPAL_ARN,
    allow,
    create_customer_role,
    trust_policy,
)

EAST = "us-east-1"
EXTERNAL_ID = "skylight-listing-gaps-test"
INVENTORY_ACTIONS: list[str] = INVENTORY_READ["Statement"][0]["Action"]


def module(type_name: str) -> ResourceModule:
    return next(m for m in resource_modules() if m.type.name == type_name)


def credentials(policy: dict[str, Any], name: str) -> TemporaryCredentials:
    """A session of a customer role held to `policy`."""
    role = create_customer_role(CUSTOMER_ACCOUNT, name, trust_policy(external_id=EXTERNAL_ID), policy)
    return Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, EAST).assume_role(role.arn, EXTERNAL_ID, "gaps-test")


def denying(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            *INVENTORY_READ["Statement"],
            {"Effect": "Deny", "Action": list(actions), "Resource": "*"},
        ],
    }


def list_types(
    session: TemporaryCredentials,
    type_names: list[str],
    recorded: dict[str, str] | None = None,
    hooks: Any = (),
) -> dict[str, TypeListing]:
    known = {name: RecordedListing(digest="0:-", pages=pages) for name, pages in (recorded or {}).items()}
    listings = RegionCrawler(
        Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, EAST, event_hooks=tuple(hooks))
    ).list_region(
        session, CUSTOMER_ACCOUNT, "aws", EAST, modules=[module(name) for name in type_names], recorded=known
    )
    return {listing.type: listing for listing in listings}


def functions(count: int) -> None:
    for i in range(count):
        customer_function(EAST, f"fn-{i}", {"team": "api"})


def test_functions_whose_tags_are_refused_are_listed_untagged_and_their_pages_vouch_for_nothing(
    aws: None,
) -> None:
    functions(3)

    [listing] = list_types(
        credentials(denying("tag:GetResources"), "NoTags"), ["aws.lambda.function"]
    ).values()

    assert listing.error is None
    assert sorted((r.name, r.tags) for r in listing.resources or []) == [(f"fn-{i}", {}) for i in range(3)]
    assert [(g.service, g.action, g.code) for g in listing.gaps] == [
        ("tag", "tag:GetResources", "AccessDeniedException")
    ]
    # Stored without their tags: nothing may later skip these pages as if the tags were in them.
    assert listing.pages_fingerprint is None


def test_recorded_pages_of_functions_are_parsed_again_when_their_tags_are_refused(aws: None) -> None:
    functions(3)
    [full] = list_types(credentials(INVENTORY_READ, "Reader"), ["aws.lambda.function"]).values()
    assert full.pages_fingerprint and all(r.tags == {"team": "api"} for r in full.resources or [])

    sent = CallLog()
    [again] = list_types(
        credentials(denying("tag:GetResources"), "NoTags"),
        ["aws.lambda.function"],
        recorded={full.type: full.pages_fingerprint},
        hooks=sent.hooks(),
    ).values()

    # The pages are as recorded, yet the listing is not unchanged: its items are parsed (from the
    # answers kept, not asked again) and stored as they now are, without their tags.
    assert not again.unchanged_pages and again.pages_fingerprint is None
    assert again.error is None and [g.action for g in again.gaps] == ["tag:GetResources"]
    assert sorted((r.name, r.tags) for r in again.resources or []) == [(f"fn-{i}", {}) for i in range(3)]
    assert [call.operation for call in sent.calls] == ["ListFunctions", "GetResources"]


def test_a_refused_tagging_listing_is_asked_once_for_every_type_of_the_region(aws: None) -> None:
    functions(1)
    customer_table(EAST, "orders", {"team": "data"})
    sent = CallLog()

    listings = list_types(
        credentials(denying("tag:GetResources"), "NoTags"),
        ["aws.lambda.function", "aws.dynamodb.table"],
        hooks=sent.hooks(),
    )

    assert [call.operation for call in sent.calls].count("GetResources") == 1
    for listing in listings.values():
        assert [g.action for g in listing.gaps] == ["tag:GetResources"]
        assert [r.tags for r in listing.resources or []] == [{}]
    assert [r.attributes["status"] for r in listings["aws.dynamodb.table"].resources or []] == ["ACTIVE"]


def load_balancer() -> str:
    ec2 = customer("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{EAST}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    return str(
        customer("elbv2").create_load_balancer(
            Name="web", Subnets=subnets, Scheme="internal", Tags=[{"Key": "team", "Value": "web"}]
        )["LoadBalancers"][0]["LoadBalancerArn"]
    )


def ecs_cluster() -> str:
    return str(
        customer("ecs").create_cluster(clusterName="apps", tags=[{"key": "team", "value": "ops"}])["cluster"][
            "clusterArn"
        ]
    )


@pytest.mark.parametrize(
    ("type_name", "build", "refused", "code", "listing_has_attributes"),
    [
        ("aws.elbv2.load_balancer", load_balancer, "elasticloadbalancing:DescribeTags", "AccessDenied", True),
        ("aws.ecs.cluster", ecs_cluster, "ecs:DescribeClusters", "AccessDeniedException", False),
    ],
    ids=["balancer tags", "cluster description"],
)
def test_an_item_whose_detail_call_is_refused_is_kept_as_listed(
    aws: None, type_name: str, build: Any, refused: str, code: str, listing_has_attributes: bool
) -> None:
    arn = build()
    [full] = list_types(credentials(INVENTORY_READ, "Reader"), [type_name]).values()

    [degraded] = list_types(credentials(denying(refused), "Refused"), [type_name]).values()

    assert full.error is degraded.error is None and full.gaps == []
    [described] = full.resources or []
    [kept] = degraded.resources or []
    assert kept.id == described.id == arn and kept.name == described.name
    assert described.tags and kept.tags == {}
    if listing_has_attributes:  # what the listing itself said stays
        assert kept.attributes == described.attributes
    else:  # the description's attributes are not made up
        assert described.attributes and kept.attributes == {}
    assert [(g.action, g.code, g.type) for g in degraded.gaps] == [(refused, code, type_name)]


def test_a_refused_listing_still_fails_the_type_and_keeps_nothing_half_listed(aws: None) -> None:
    ecs_cluster()
    policy = allow(*[a for a in INVENTORY_ACTIONS if a != "ecs:List*"], "ecs:ListClusters")

    listings = list_types(credentials(policy, "NoServices"), ["aws.ecs.cluster", "aws.ecs.service"])

    # ListServices lists: without it there is no listing of services to keep.
    service = listings["aws.ecs.service"]
    assert service.resources is None and service.error is not None and service.gaps == []
    assert (service.error.action, service.error.code) == ("ecs:ListServices", "AccessDeniedException")
    assert listings["aws.ecs.cluster"].error is None and len(listings["aws.ecs.cluster"].resources or []) == 1
