"""Restore within the retention window brings an account back with everything it had, and its schedule.

A restore that cannot work (a key account without new credentials, a root user's key) changes nothing:
the account stays disconnected, with no secret, no connection and no schedule.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skylight.dal.dynamodb import SECRET_PREFIX, SecretItem, tenant_pk
from skylight.dal.dynamodb_inventory import SUMMARY_PREFIX, inventory_pk
from skylight.handlers import dependencies
from tests.integration.conftest import SCHEDULE_GROUP, SESSION, stored_items
from tests.integration.crawling import customer, run_crawl
from tests.support import (
    CUSTOMER_ACCOUNT,
    access_key_body,
    access_key_credentials,
    create_root_key,
    create_user_key,
)

STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:skylight-account"


def code_of(body: Any) -> Any:
    """The error code of an answer; None for an answer that is not an error."""
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def scheduler() -> Any:
    return SESSION.client("scheduler")


def schedule_of(account_id: str) -> dict[str, Any] | None:
    try:
        return dict(scheduler().get_schedule(Name=f"crawl-{account_id}", GroupName=SCHEDULE_GROUP))
    except scheduler().exceptions.ResourceNotFoundException:
        return None


def secret_stored(account_id: str) -> bool:
    try:
        SecretItem.get(tenant_pk("tenant-a"), SECRET_PREFIX + account_id, consistent_read=True)
    except SecretItem.DoesNotExist:
        return False
    return True


def all_pages(api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        status, page = api("GET", path, query=query)
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def history_as_shown(api, account_id: str) -> dict[str, Any]:
    """Everything the API shows of the account's past: resources, crawls (listed and each one), totals."""
    path = f"/v1/accounts/{account_id}"
    crawls = all_pages(api, f"{path}/crawls")
    return {
        "inventory": all_pages(api, f"{path}/inventory"),
        "crawls": crawls,
        "crawl_details": [api("GET", f"{path}/crawls/{crawl['id']}")[1] for crawl in crawls],
        "inventory_summary": api("GET", path)[1]["inventory_summary"],
    }


def history_as_stored(account_id: str) -> list[dict[str, Any]]:
    """Every stored item of the account's inventory and crawls (resources, digests, crawls, summary)."""
    items = {"Items": stored_items()}
    mine = [
        item
        for item in items["Items"]
        if item["pk"]["S"] == inventory_pk("tenant-a", account_id)
        or (item["pk"]["S"], item["sk"]["S"]) == (tenant_pk("tenant-a"), SUMMARY_PREFIX + account_id)
    ]
    assert "LastEvaluatedKey" not in items
    return sorted(mine, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def audit_trail(api) -> list[dict[str, Any]]:
    status, page = api("GET", "/v1/audit", query={"limit": "100"})
    assert status == 200 and page["next_cursor"] is None, page
    return list(page["items"])


@pytest.fixture
def crawled(api, connected):
    """tenant-a's role account, crawled once with instances in two regions and a bucket."""
    account, _ = connected
    customer("ec2", "us-east-1").run_instances(
        ImageId="ami-12345678", MinCount=3, MaxCount=3, InstanceType="t3.micro"
    )
    customer("ec2", "eu-west-1").run_instances(
        ImageId="ami-12345678", MinCount=2, MaxCount=2, InstanceType="t3.micro"
    )
    customer("s3").create_bucket(Bucket="history-of-customer")
    assert run_crawl(account["id"])["status"] == "succeeded"
    # Its own interval, so that the restored schedule is seen to be the account's, not a default.
    status, account = api("PATCH", f"/v1/accounts/{account['id']}", {"crawl_interval_minutes": 45})
    assert status == 200
    return account


def test_restore_within_the_window_keeps_inventory_crawls_and_audit_and_recreates_the_schedule(api, crawled):
    account = crawled
    path = f"/v1/accounts/{account['id']}"
    shown, stored = history_as_shown(api, account["id"]), history_as_stored(account["id"])
    assert len([i for i in shown["inventory"] if i["type"] == "aws.ec2.instance"]) == 5
    assert len(shown["crawls"]) == 1 and shown["crawls"][0]["status"] == "succeeded"
    assert shown["inventory_summary"]["total"] >= 6
    assert schedule_of(account["id"]) is not None
    trail = audit_trail(api)
    assert trail and {e["target"] for e in trail} == {account["id"]}

    assert api("DELETE", path)[0] == 200
    assert schedule_of(account["id"]) is None  # disconnect deleted it

    dependencies.services().clock = lambda: datetime.now(UTC) + timedelta(days=29)
    status, restored = api("POST", f"{path}/restore")
    assert (status, restored["status"]) == (200, "connected"), restored
    assert (restored["id"], restored["connected_at"]) == (account["id"], account["connected_at"])
    assert restored["crawl_interval_minutes"] == 45

    # The history is exactly what it was, as shown and as stored.
    assert history_as_shown(api, account["id"]) == shown
    assert history_as_stored(account["id"]) == stored
    after = audit_trail(api)
    assert [(e["action"], e["outcome"]) for e in after[:2]] == [
        ("account.restore", "success"),
        ("account.disconnect", "success"),
    ]
    assert after[2:] == trail

    # Its schedule exists again, as the account's own.
    schedule = schedule_of(account["id"])
    assert schedule is not None
    assert schedule["ScheduleExpression"] == "rate(45 minutes)"
    assert schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"] == STATE_MACHINE_ARN
    assert json.loads(schedule["Target"]["Input"]) == {
        "tenant_id": "tenant-a",
        "account_id": account["id"],
        "trigger": "schedule",
    }


def assert_still_disconnected(api, gone: dict[str, Any]) -> None:
    status, shown = api("GET", f"/v1/accounts/{gone['id']}")
    assert status == 200
    assert (shown["status"], shown["disconnected_at"], shown["retained_until"]) == (
        "disconnected",
        gone["disconnected_at"],
        gone["retained_until"],
    )
    assert shown["credentials"] == gone["credentials"]
    assert not secret_stored(gone["id"])
    assert schedule_of(gone["id"]) is None


@pytest.mark.parametrize("body", [None, {}, {"credentials": None}])
def test_a_key_account_is_not_restored_without_new_credentials(api, key_account, body):
    account, key = key_account
    path = f"/v1/accounts/{account['id']}"
    gone = api("DELETE", path)[1]

    status, refused = api("POST", f"{path}/restore", body)
    # README: "an access key needs new `credentials`": 400 invalid_request naming the field.
    assert (status, code_of(refused)) == (400, "invalid_request"), refused
    assert [f["field"] for f in refused["error"]["fields"]] == ["credentials"]
    assert_still_disconnected(api, gone)
    latest = audit_trail(api)[0]
    assert (latest["action"], latest["outcome"]) == ("account.restore", "invalid_request")
    # The key the account had is free again: the refused restore claimed no connection.
    assert api("POST", "/v1/accounts", access_key_body(key, name="again"))[0] == 201


def test_a_root_users_key_does_not_restore_an_account(api, key_account):
    account, _ = key_account
    path = f"/v1/accounts/{account['id']}"
    gone = api("DELETE", path)[1]
    root = create_root_key(CUSTOMER_ACCOUNT)

    status, refused = api("POST", f"{path}/restore", {"credentials": access_key_credentials(root)})
    assert (status, code_of(refused)) == (422, "root_credentials"), refused
    assert root.secret_access_key not in json.dumps(refused)
    assert_still_disconnected(api, gone)
    latest = audit_trail(api)[0]
    assert (latest["action"], latest["outcome"]) == ("account.restore", "root_credentials")
    # Nothing was left half-done: an IAM user's key restores it afterwards.
    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    status, restored = api("POST", f"{path}/restore", {"credentials": access_key_credentials(new)})
    assert (status, restored["status"]) == (200, "connected"), restored
    assert restored["credentials"]["access_key_id"] == new.access_key_id
    assert secret_stored(account["id"]) and schedule_of(account["id"]) is not None
