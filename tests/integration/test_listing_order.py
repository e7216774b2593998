"""A region's largest listings start first, and each type's client is created when it is first needed."""

from __future__ import annotations

from typing import Any

import pytest

from skylight.models.inventory import RecordedListing
from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import ec2_vpc, lambda_function, rds_db_instance, resource_modules
from tests.support import PLATFORM_ACCOUNT, PLATFORM_PRINCIPAL_ARN

pytestmark = pytest.mark.usefixtures("aws")


class _Recorder(Boto3AwsGateway):
    """The production gateway, noting the operations sent and the clients created, in order."""

    def __init__(self) -> None:
        super().__init__(PLATFORM_PRINCIPAL_ARN, "us-east-1", event_hooks=(("before-call", self._note),))
        self.calls: list[str] = []
        self.created: list[str] = []

    def _note(self, event_name: str = "", **_: Any) -> None:
        self.calls.append(event_name.split(".", 2)[2])

    def regional_clients(
        self, credentials: Any, region: str, services: Any, hooks: Any = ()
    ) -> dict[str, Any]:
        services = list(services)
        self.created.extend(services)
        return super().regional_clients(credentials, region, services, hooks)


def _list_one_at_a_time(gateway: _Recorder, counts: dict[str, int]) -> None:
    modules = [module for module in resource_modules() if module.type.name in _NAMES]
    listings = RegionCrawler(gateway, max_workers=1).list_region(
        TemporaryCredentials("testing", "testing"),  # the emulator's own account
        PLATFORM_ACCOUNT,
        "aws",
        "us-east-1",
        modules=modules,
        # Only the count of what is recorded matters here.
        recorded={name: RecordedListing(digest=f"{count}:-") for name, count in counts.items()},
    )
    assert [listing.error for listing in listings] == [None] * len(listings)


_NAMES = {ec2_vpc.RESOURCE.name, lambda_function.RESOURCE.name, rds_db_instance.RESOURCE.name}
_FIRST_CALL = {"DescribeVpcs": "ec2", "ListFunctions": "lambda", "DescribeDBInstances": "rds"}


def test_the_type_that_had_the_most_items_is_listed_first() -> None:
    gateway = _Recorder()

    _list_one_at_a_time(
        gateway,
        {lambda_function.RESOURCE.name: 600, rds_db_instance.RESOURCE.name: 40, ec2_vpc.RESOURCE.name: 3},
    )

    listed = [_FIRST_CALL[call] for call in gateway.calls if call in _FIRST_CALL]
    assert listed == ["lambda", "rds", "ec2"]
    # Each service's client is made by its first listing, in that order (tags last, when asked).
    assert gateway.created[:3] == ["lambda", "rds", "ec2"]


def test_without_a_record_the_order_is_the_modules_own() -> None:
    gateway = _Recorder()

    _list_one_at_a_time(gateway, {})

    listed = [_FIRST_CALL[call] for call in gateway.calls if call in _FIRST_CALL]
    assert listed == ["ec2", "lambda", "rds"]
