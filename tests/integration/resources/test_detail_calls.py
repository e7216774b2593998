"""Detail calls (one per table, cluster, ...) go out several at once and are charged to their listing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from skylight.crawling.details import detail_gaps, is_listed_only
from skylight.gateways.sessions import shared_client
from skylight.providers.aws.crawler import SDK_FAILURES, RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from tests.faults import canned_answer
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


def _refusing(operation: str) -> Any:
    """A DynamoDB client whose `operation` calls AWS refuses, as it does a role not allowed them."""
    client = shared_client("dynamodb", region_name=EAST)

    def refuse(request: Any, **_: Any) -> Any:
        body = b'{"__type":"AccessDeniedException","message":"not authorized"}'
        return canned_answer(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, body)

    client.meta.events.register(f"before-send.dynamodb.{operation}", refuse)
    return client


def test_a_refused_detail_call_raises_unless_the_crawler_collects_gaps() -> None:
    b.table(EAST, "orders")
    tables = b.module("aws.dynamodb.table")

    # Outside a crawl, fetch is as dumb as ever: it raises what the client raises.
    with pytest.raises(ClientError):
        list(tables.fetch(_refusing("DescribeTable")))

    with detail_gaps(SDK_FAILURES) as gaps:
        [raw] = list(tables.fetch(_refusing("DescribeTable")))
    assert is_listed_only(raw) and raw["TableName"] == "orders"
    assert [failure.operation_name for failure in gaps.failures] == ["DescribeTable"]
    # The listing's own call is no detail call: refused, it fails the listing.
    with detail_gaps(SDK_FAILURES), pytest.raises(ClientError):
        list(tables.fetch(_refusing("ListTables")))
