"""Detail calls (one per table, cluster, ...) go out several at once and are charged to their listing."""

from __future__ import annotations

import time
from typing import Any

from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from tests.integration.resources import builders as b
from tests.support import PLATFORM_PRINCIPAL_ARN

EAST = "us-east-1"
TABLES = 20


def test_describe_calls_run_at_once_within_the_listings_accounting() -> None:
    names = [f"orders-{i:02d}" for i in range(TABLES)]
    for name in names:
        b.table(EAST, name)

    def network(**_: Any) -> None:  # each call takes a while, as over a network
        time.sleep(0.02)

    crawler = RegionCrawler(
        Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, EAST, event_hooks=(("before-send", network),))
    )

    [listing] = crawler.list_region(
        TemporaryCredentials("testing", "testing"),
        b.ACCOUNT,
        "aws",
        EAST,
        modules=[b.module("aws.dynamodb.table")],
    )

    assert listing.error is None
    assert [resource.name for resource in listing.resources or []] == names  # the listing's order
    # ListTables, one DescribeTable per table, and the region's tags: every call counted against it...
    assert listing.api_calls == 1 + TABLES + 1
    # ...but the chain that had to wait is ListTables and a few waves of 8 describes, not 21 calls.
    assert 3 <= listing.pages <= 1 + 2 * 3 + 1
