"""A region's crawl reads what it needs from Skylight's table (account, tenant, digests) in one request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from pynamodb.exceptions import GetError

from skylight.dal import dynamodb
from skylight.dal.connection import shared_connection
from skylight.handlers import dependencies
from skylight.handlers.workflow import tasks
from tests.faults import CallLog, canned_answer
from tests.integration.conftest import TABLE, external_id_of
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import LambdaContext

REGION = "us-east-1"


@contextmanager
def table_calls(answer: Any = None) -> Iterator[list[str]]:
    """The operations sent to Skylight's table meanwhile; `answer(operation)` may answer one instead."""
    client = shared_connection(REGION).client
    seen: list[str] = []

    def before_send(request: Any, **_: Any) -> Any:
        operation = request.headers.get("X-Amz-Target", b"").decode().rsplit(".", 1)[-1]
        names = json.loads(request.body or b"{}").get("ExpressionAttributeNames", {})
        # The account's status, read before every call to the cloud: see test_stop_means_stop.
        if operation == "GetItem" and set(names.values()) == {"status", "ttl"}:
            operation = "StatusCheck"
        seen.append(operation)
        return answer(operation) if answer else None

    client.meta.events.register_first("before-send.dynamodb", before_send)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-send.dynamodb", before_send)


@pytest.mark.parametrize("batch", [[REGION], [REGION, "eu-west-1", "global"]])
def test_a_batch_reads_account_tenant_and_digests_in_one_request_before_anything_else(api, connected, batch):
    account, _ = connected
    begin = tasks.begin_crawl(
        {"workflow": {"tenant_id": "tenant-a", "account_id": account["id"], "trigger": "manual"}},
        LambdaContext(),
    )
    tasks.plan_crawl(begin, LambdaContext())
    log = CallLog()
    use_gateway_hooks(log.hooks())

    with table_calls() as seen:
        listed = tasks.crawl_segments(begin | {"segments": batch}, LambdaContext())

    assert [(each["segment"], each["status"]) for each in listed["segments"]] == [
        (r, "succeeded") for r in batch
    ]
    assert seen[0] == "BatchGetItem"
    assert seen.count("BatchGetItem") == 1 and "GetItem" not in seen
    # One session of the customer's role serves the whole batch, and every region of it is listed
    # (the new gateway's first AssumeRole is the platform principal's own session).
    assert [call.operation for call in log.calls].count("AssumeRole") == 2
    assert {call.crawl_region for call in log.listing_calls()} == set(batch)


def test_the_region_start_holds_what_is_stored_and_none_for_what_is_not(api, connected):
    account, _ = connected
    services = dependencies.services()
    crawls, inventory = services.crawls, services.inventory
    inventory.save_digests("tenant-a", account["id"], REGION, {"aws.ec2.instance": "digest-1"})
    now = datetime.now(UTC)

    inventory.save_digests("tenant-a", account["id"], "global", {"aws.s3.bucket": "digest-2"})
    now = datetime.now(UTC)

    start = crawls.segment_start("tenant-a", account["id"], [REGION, "eu-west-3", "global"], now)
    assert start.account is not None and start.account.id == account["id"]
    assert start.tenant is not None and start.tenant.state_of("aws")["external_id"].startswith("skylight-")
    assert start.digests == {
        REGION: {"aws.ec2.instance": "digest-1"},
        "global": {"aws.s3.bucket": "digest-2"},
    }

    assert crawls.segment_start("tenant-a", account["id"], ["eu-west-3"], now).digests == {}
    elsewhere = crawls.segment_start("tenant-b", account["id"], [REGION], now)
    assert elsewhere.account is None and elsewhere.tenant is None and elsewhere.digests == {}


def _unread_first(times: int) -> Any:
    """DynamoDB's answer when the table is throttled: every key asked for comes back unread."""
    left = [times]

    def answer(operation: str) -> AWSResponse | None:
        if operation != "BatchGetItem" or left[0] == 0:
            return None
        left[0] -= 1
        return _unprocessed_everything()

    return answer


def _unprocessed_everything() -> AWSResponse:
    # DynamoDB names the keys it left unread: here, the two the test asks for.
    keys = [{"pk": {"S": "TENANT#tenant-a"}, "sk": {"S": "TENANT"}}, {"pk": {"S": "none"}, "sk": {"S": "x"}}]
    body = json.dumps({"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: {"Keys": keys}}}).encode()
    return canned_answer("https://dynamodb", 200, {"Content-Type": "application/x-amz-json-1.0"}, body)


def test_keys_the_table_leaves_unread_are_asked_again_until_read(api, monkeypatch):
    external_id_of(api)  # the tenant's item exists
    monkeypatch.setattr(dynamodb, "BATCH_GET_FIRST_PAUSE_S", 0.001)
    keys = [("TENANT#tenant-a", "TENANT"), ("none", "x")]

    with table_calls(_unread_first(2)) as seen:
        found = dynamodb.get_many(keys)

    assert seen == ["BatchGetItem"] * 3
    assert list(found) == [("TENANT#tenant-a", "TENANT")]

    with table_calls(_unread_first(dynamodb.BATCH_GET_ATTEMPTS)), pytest.raises(GetError):
        dynamodb.get_many(keys)
