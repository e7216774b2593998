"""Listings whose pages are unchanged since the last crawl are not parsed, and changed ones cost no
extra call to AWS (at the crawler's level, against the emulator, with the production gateway)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from botocore.parsers import RestJSONParser

from skylight.gateways.response_parsers import PlannedEC2QueryParser
from skylight.handlers import dependencies
from skylight.models.inventory import RecordedListing, TypeListing
from skylight.providers.aws import pages
from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import (
    ResourceModule,
    ResourceType,
    dynamodb_table,
    ec2_volume,
    lambda_function,
    records,
)
from tests.faults import CallLog, Throttler
from tests.integration.conftest import SESSION
from tests.integration.crawling import run_crawl
from tests.integration.test_crawl_throttling import quick_backoff
from tests.integration.test_crawls import estate
from tests.support import PLATFORM_ACCOUNT, PLATFORM_PRINCIPAL_ARN

__all__ = ["estate", "quick_backoff"]  # fixtures

# Volumes, two a page: five volumes make a listing of three pages.
PAGED_VOLUMES = ResourceModule(
    type=ResourceType(name="aws.ec2.volume", service="ec2", skip_unchanged_pages=True),
    fetch=lambda client: records(client, "describe_volumes", "Volumes", 2),
    transform=ec2_volume.transform,
)


def _volumes(count: int) -> list[str]:
    ec2 = SESSION.client("ec2")
    return [
        ec2.create_volume(
            Size=8 + i,
            AvailabilityZone="us-east-1a",
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"v{i}"}]}],
        )["VolumeId"]
        for i in range(count)
    ]


# Functions, two a page: five functions make a listing of three pages. Their tags come from the
# tagging API, as the real type's do.
PAGED_FUNCTIONS = ResourceModule(
    type=lambda_function.RESOURCE,
    fetch=lambda client: records(client, "list_functions", "Functions", 2),
    transform=lambda_function.transform,
)


def _list(hooks: Any = (), recorded: str | None = None) -> TypeListing:
    [listing] = _list_types([PAGED_VOLUMES], hooks, {PAGED_VOLUMES.type.name: recorded})
    return listing


def _list_types(
    modules: list[ResourceModule], hooks: Any = (), recorded: dict[str, str | None] | None = None
) -> list[TypeListing]:
    # Only the pages fingerprint of what is recorded matters here.
    known = {name: RecordedListing(digest="0:-", pages=pages) for name, pages in (recorded or {}).items()}
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1", event_hooks=tuple(hooks))
    listings = RegionCrawler(gateway).list_region(
        # The emulator's own account, whose dummy credentials these are.
        TemporaryCredentials("testing", "testing"),
        PLATFORM_ACCOUNT,
        "aws",
        "us-east-1",
        modules=modules,
        recorded={name: record for name, record in known.items() if record.pages},
    )
    assert all(listing.error is None for listing in listings), listings
    return listings


class ParsedBodies:
    """The size of every answer a botocore parser (EC2's by default) reads; it still parses them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, parser_class: type = PlannedEC2QueryParser) -> None:
        self.sizes: list[int] = []
        parse = parser_class.parse

        def parse_and_note(parser: Any, response: dict[str, Any], shape: Any) -> Any:
            self.sizes.append(len(response["body"]))
            return parse(parser, response, shape)

        monkeypatch.setattr(parser_class, "parse", parse_and_note)


def test_pages_as_recorded_are_reported_unchanged_without_being_parsed(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _volumes(5)
    first = _list()
    assert first.pages_fingerprint and not first.unchanged_pages
    assert len(first.resources or []) == 5

    sent, parsed = CallLog(), ParsedBodies(monkeypatch)
    again = _list(sent.hooks(), recorded=first.pages_fingerprint)

    assert again.unchanged_pages and again.resources is None
    # botocore read only the page tokens: three documents of a few dozen bytes each.
    assert len(parsed.sizes) == 3 and max(parsed.sizes) < 200
    assert again.pages_fingerprint == first.pages_fingerprint
    # Every page was still asked for, once, and counted as the first listing's were.
    assert [call.operation for call in sent.calls] == ["DescribeVolumes"] * 3
    assert (again.api_calls, again.pages) == (first.api_calls, first.pages) == (3, 3)


def test_a_changed_page_is_parsed_from_the_answers_kept_not_asked_again(aws: None) -> None:
    ids = _volumes(5)
    first = _list()
    SESSION.client("ec2").create_tags(Resources=[ids[-1]], Tags=[{"Key": "team", "Value": "blue"}])

    sent = CallLog()
    changed = _list(sent.hooks(), recorded=first.pages_fingerprint)

    assert not changed.unchanged_pages
    assert changed.pages_fingerprint != first.pages_fingerprint
    by_name = {resource.name: resource for resource in changed.resources or []}
    assert sorted(by_name) == [f"v{i}" for i in range(5)]
    assert by_name["v4"].tags == {"Name": "v4", "team": "blue"}
    assert by_name["v3"].attributes["size_gib"] == 11
    assert [call.operation for call in sent.calls] == ["DescribeVolumes"] * 3  # no call twice
    assert (changed.api_calls, changed.pages) == (3, 3)
    # What it records now vouches for the pages as they are.
    assert _list(recorded=changed.pages_fingerprint).unchanged_pages


def test_pages_recorded_by_other_code_are_parsed_again(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _volumes(3)
    recorded = _list().pages_fingerprint
    monkeypatch.setattr(pages, "code_version", lambda: "a later release")

    listing = _list(recorded=recorded)

    assert not listing.unchanged_pages
    assert len(listing.resources or []) == 3


def test_throttled_pages_are_retried_and_still_found_unchanged(aws: None, quick_backoff: None) -> None:
    _volumes(5)
    recorded = _list().pages_fingerprint
    throttler = Throttler(0.5, {"ec2"}, seed=3)

    listing = _list(throttler.hooks(), recorded=recorded)

    assert throttler.throttled > 0
    assert listing.unchanged_pages
    assert (listing.api_calls, listing.throttles) == (3 + throttler.throttled, throttler.throttled)


DYNAMODB_TABLES = ResourceModule(
    type=dynamodb_table.RESOURCE, fetch=dynamodb_table.fetch, transform=dynamodb_table.transform
)


def _functions(count: int) -> list[str]:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("handler.py", "def handler(event, context):\n    return event\n")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = SESSION.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))
    return [
        SESSION.client("lambda").create_function(
            FunctionName=f"fn-{i}",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="handler.handler",
            Code={"ZipFile": archive.getvalue()},
            Tags={"team": "api"},
        )["FunctionArn"]
        for i in range(count)
    ]


def test_functions_and_their_tags_as_recorded_are_not_parsed(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _functions(5)
    [first] = _list_types([PAGED_FUNCTIONS])
    assert first.pages_fingerprint and len(first.resources or []) == 5

    sent, parsed = CallLog(), ParsedBodies(monkeypatch, RestJSONParser)
    [again] = _list_types([PAGED_FUNCTIONS], sent.hooks(), {first.type: first.pages_fingerprint})

    assert again.unchanged_pages and again.resources is None
    assert again.pages_fingerprint == first.pages_fingerprint
    # botocore read only the page markers: three documents of a few dozen bytes each.
    assert len(parsed.sizes) == 3 and max(parsed.sizes) < 100
    assert [call.operation for call in sent.calls] == ["ListFunctions"] * 3 + ["GetResources"]


def test_a_changed_tag_makes_the_functions_parsed_again_with_it(aws: None) -> None:
    arns = _functions(5)
    [first] = _list_types([PAGED_FUNCTIONS])
    SESSION.client("lambda").tag_resource(Resource=arns[3], Tags={"team": "billing"})

    sent = CallLog()
    [changed] = _list_types([PAGED_FUNCTIONS], sent.hooks(), {first.type: first.pages_fingerprint})

    assert not changed.unchanged_pages and changed.pages_fingerprint != first.pages_fingerprint
    assert {r.name: r.tags["team"] for r in changed.resources or []} == {
        "fn-0": "api",
        "fn-1": "api",
        "fn-2": "api",
        "fn-3": "billing",
        "fn-4": "api",
    }
    assert [call.operation for call in sent.calls] == ["ListFunctions"] * 3 + ["GetResources"]
    [settled] = _list_types([PAGED_FUNCTIONS], recorded={first.type: changed.pages_fingerprint})
    assert settled.unchanged_pages


def test_tags_of_another_type_do_not_unsettle_the_functions(aws: None) -> None:
    _functions(3)
    SESSION.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    tables = dynamodb_table.RESOURCE.name
    first = {listing.type: listing for listing in _list_types([PAGED_FUNCTIONS, DYNAMODB_TABLES])}
    table_arn = SESSION.client("dynamodb").describe_table(TableName="orders")["Table"]["TableArn"]
    SESSION.client("dynamodb").tag_resource(ResourceArn=table_arn, Tags=[{"Key": "team", "Value": "x"}])

    recorded = {PAGED_FUNCTIONS.type.name: first[PAGED_FUNCTIONS.type.name].pages_fingerprint}
    again = {
        listing.type: listing for listing in _list_types([PAGED_FUNCTIONS, DYNAMODB_TABLES], (), recorded)
    }

    assert again[PAGED_FUNCTIONS.type.name].unchanged_pages
    assert {r.name: r.tags for r in again[tables].resources or []}["orders"] == {"team": "x"}


def test_a_crawl_records_the_pages_of_ec2_and_lambda_types_and_an_unchanged_one_writes_nothing(
    api: Any, estate: Any
) -> None:
    account, _ = estate
    first = run_crawl(account["id"])
    inventory = dependencies.services().inventory
    recorded = {
        kind: RecordedListing.decode(text)
        for kind, text in inventory.all_digests("tenant-a", account["id"])["us-east-1"].items()
    }
    assert recorded["aws.ec2.instance"].pages and recorded["aws.ec2.instance"].count == 3
    assert recorded["aws.lambda.function"].pages  # its pages and the tags the tagging API gave
    assert recorded["aws.dynamodb.table"].pages is None  # described table by table

    again = run_crawl(account["id"])

    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{again['crawl_id']}")
    assert crawl["status"] == "succeeded"
    assert crawl["resources"] == first["resources"]
    assert crawl["writes"]["write_units"] == 0
    _, summary = api("GET", f"/v1/accounts/{account['id']}")
    assert summary["inventory_summary"]["by_type"]["aws.ec2.instance"] == 5
