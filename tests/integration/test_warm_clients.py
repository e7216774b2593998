"""A crawl gives back every client it took, and the next crawl in the same process reuses them
instead of making new ones (with the production gateway and crawler, against the emulator)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from skylight.providers.aws.client_pool import Hook
from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import (
    ResourceModule,
    ResourceType,
    ec2_vpc,
    lambda_function,
    rds_db_instance,
)
from tests.support import PLATFORM_ACCOUNT, PLATFORM_PRINCIPAL_ARN

pytestmark = pytest.mark.usefixtures("aws")

MODULES = [
    ResourceModule(type=module.RESOURCE, fetch=module.fetch, transform=module.transform)
    for module in (ec2_vpc, lambda_function, rds_db_instance)
]


class _Counting(Boto3AwsGateway):
    """The production gateway, counting the crawl clients it makes."""

    def __init__(self) -> None:
        super().__init__(PLATFORM_PRINCIPAL_ARN, "us-east-1")
        self.made: list[tuple[str, str]] = []

    def _new_crawl_client(self, region: str, service: str, lent_hooks: Sequence[Hook]) -> Any:
        self.made.append((region, service))
        return super()._new_crawl_client(region, service, lent_hooks)


def _list(gateway: Boto3AwsGateway, modules: list[ResourceModule] = MODULES) -> list[Any]:
    return RegionCrawler(gateway).list_region(
        TemporaryCredentials("testing", "testing"),  # the emulator's own account
        PLATFORM_ACCOUNT,
        "aws",
        "us-east-1",
        modules=modules,
    )


def test_the_next_crawl_reuses_every_client_the_last_one_gave_back() -> None:
    gateway = _Counting()

    first = _list(gateway)
    made_first = sorted(gateway.made)
    second = _list(gateway)

    assert [listing.error for listing in first + second] == [None] * 6
    assert [len(listing.resources or []) for listing in second] == [len(x.resources or []) for x in first]
    # ec2, lambda and rds (no function to read tags of): made once, all given back.
    assert made_first == [("us-east-1", service) for service in ("ec2", "lambda", "rds")]
    assert sorted(gateway.made) == made_first
    assert gateway.idle_crawl_clients == 3


def test_a_listing_that_blows_up_still_gives_its_clients_back() -> None:
    gateway = _Counting()

    def explode(client: Any) -> Any:
        client.describe_vpcs()
        raise RuntimeError("a bug in a resource module")

    broken = ResourceModule(
        type=ResourceType("aws.ec2.thing", "ec2"), fetch=explode, transform=ec2_vpc.transform
    )
    with pytest.raises(RuntimeError):
        _list(gateway, [broken])

    assert gateway.made == [("us-east-1", "ec2")]
    assert gateway.idle_crawl_clients == 1
