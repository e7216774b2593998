"""The metrics a connect, a failing validation, a crawl and a throttled crawl publish, read back from
the embedded metric format the functions write: names and dimensions from the catalogue, values
that match what happened, and never a tenant or an account id among the dimensions."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from skylight.models.metrics import CATALOGUE, NAMESPACE
from tests.faults import Throttler
from tests.integration.conftest import connect_body
from tests.integration.crawling import customer, run_crawl
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import CUSTOMER_ACCOUNT

SPECS = {spec.name: spec for spec in CATALOGUE}


def published(output: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every metric in `output` (EMF documents, one a line), summed by name and dimensions."""
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            (dimensions,) = directive["Dimensions"]
            for metric in directive["Metrics"]:
                name = metric["Name"]
                spec = SPECS[name]  # every published metric is in the catalogue...
                assert tuple(dimensions) == spec.dimensions  # ...with exactly its dimensions
                assert metric["Unit"] == spec.unit
                key = (name, tuple((dimension, str(document[dimension])) for dimension in dimensions))
                totals[key] += sum(document[name]) if isinstance(document[name], list) else document[name]
    return dict(totals)


def value(metrics: dict[Any, float], name: str, **dimensions: str) -> float:
    return metrics.get(
        (name, tuple((dimension, dimensions[dimension]) for dimension in SPECS[name].dimensions)), 0
    )


def no_identifiers_in(metrics: dict[Any, float], *identifiers: str) -> None:
    values = {dimension_value for _, dimensions in metrics for _, dimension_value in dimensions}
    assert not {each for each in values for identifier in identifiers if identifier in each}


def test_a_connect_and_its_crawl_publish_what_they_did(
    api, connected, capsys: pytest.CaptureFixture[str]
) -> None:
    account, _ = connected
    customer("ec2", "us-east-1").run_instances(ImageId="ami-12345678", MinCount=3, MaxCount=3)
    capsys.readouterr()  # what the fixture's connect published is read below, from a connect of its own

    role = account["credentials"]["role_arn"]
    status, other = api("POST", "/v1/accounts", connect_body(role, name="again", access="read_write"))
    assert status == 201, other
    finished = run_crawl(account["id"])
    metrics = published(capsys.readouterr().out)

    assert (
        value(metrics, "Validations", provider="aws", outcome="connected") >= 2
    )  # the connect and the crawl's
    assert value(metrics, "Crawls", provider="aws", status=finished["status"]) == 1
    assert value(metrics, "ResourcesListed", provider="aws") == finished["resources"] >= 3
    assert value(metrics, "ProviderCalls", provider="aws", service="ec2") > 0
    assert value(metrics, "ItemWrites", provider="aws") >= 3
    assert ("CrawlDuration", (("provider", "aws"),)) in metrics
    assert value(metrics, "StaleSegments", provider="aws") == 0
    no_identifiers_in(metrics, "tenant-a", account["id"], other["id"], CUSTOMER_ACCOUNT)


def test_a_failing_validation_publishes_its_code_and_the_refusal(
    api, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = api("POST", "/v1/accounts", connect_body(f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Missing"))
    assert (status, body["error"]["code"]) == (422, "access_denied")

    metrics = published(capsys.readouterr().out)

    assert value(metrics, "Validations", provider="aws", outcome="access_denied") == 1
    assert value(metrics, "ApiRefusals", code="access_denied") == 1
    assert value(metrics, "Validations", provider="aws", outcome="connected") == 0


def test_a_throttled_crawl_publishes_its_throttles_by_service(
    api, connected, capsys: pytest.CaptureFixture[str]
) -> None:
    account, _ = connected
    customer("ec2", "us-east-1").run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2)
    throttler = Throttler(0.5, {"ec2"}, listings_only=True)
    use_gateway_hooks(throttler.hooks())
    capsys.readouterr()

    run_crawl(account["id"])
    metrics = published(capsys.readouterr().out)

    assert (
        value(metrics, "ProviderThrottles", provider="aws", service="ec2") == throttler.throttled_listings > 0
    )
