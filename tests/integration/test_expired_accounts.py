"""Past `retained_until` an account is gone, even while DynamoDB's TTL has not deleted its item yet.

Day 31 after a disconnect: every read acts as if the account never existed (404, or absent from the
lists and totals), exactly as for an id that never existed, and every write is a 404 that changes nothing.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.emulator.access_keys import find_access_key
from skylight.dal.dynamodb import ACCOUNT_PREFIX, SECRET_PREFIX, tenant_pk
from skylight.handlers import dependencies
from tests.integration.conftest import SCHEDULE_GROUP, SESSION, TABLE
from tests.integration.crawling import customer, run_crawl
from tests.support import CUSTOMER_ACCOUNT, access_key_body, access_key_credentials, create_user_key


def code_of(body: Any) -> Any:
    """The error code of an answer; None for an answer that is not an error."""
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def at_day(days: int) -> None:
    """The functions' clock, `days` from now (DynamoDB and the emulated customer are not affected)."""
    dependencies.services().clock = lambda: datetime.now(UTC) + timedelta(days=days)


def raw_item(sort_key: str) -> dict[str, Any] | None:
    table = SESSION.client("dynamodb")
    key = {"pk": {"S": tenant_pk("tenant-a")}, "sk": {"S": sort_key}}
    item = table.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
    return dict(item) if item is not None else None


def schedule_names() -> list[str]:
    scheduler = SESSION.client("scheduler")
    return [s["Name"] for s in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]]


@pytest.fixture
def expired(api) -> dict[str, Any]:
    """tenant-a's access-key account (its key 95 days old), crawled, then disconnected."""
    key = create_user_key(CUSTOMER_ACCOUNT, "expiring-reader")
    found = find_access_key(key.access_key_id)
    assert found is not None
    found.create_date = datetime.now(UTC) - timedelta(days=95)
    status, account = api("POST", "/v1/accounts", access_key_body(key, name="expiring"))
    assert status == 201, account
    # Before the disconnect it is on every list, its key in the rotation list.
    assert [i["account_id"] for i in api("GET", "/v1/credentials/rotation")[1]["items"]] == [account["id"]]
    customer("ec2", "us-east-1").run_instances(
        ImageId="ami-12345678", MinCount=2, MaxCount=2, InstanceType="t3.micro"
    )
    finished = run_crawl(account["id"])
    assert finished["status"] == "succeeded" and finished["resources"] >= 2
    status, gone = api("DELETE", f"/v1/accounts/{account['id']}")
    assert (status, gone["status"]) == (200, "disconnected")
    retained_until = datetime.fromisoformat(gone["retained_until"])
    assert retained_until < datetime.now(UTC) + timedelta(days=31)
    return {"account": gone, "crawl_id": finished["crawl_id"]}


READS = [
    "/v1/accounts/{id}",
    "/v1/accounts/{id}/health",
    "/v1/accounts/{id}/inventory",
    "/v1/accounts/{id}/crawls",
    "/v1/accounts/{id}/crawls/{crawl_id}",
]


@pytest.mark.parametrize("path", READS)
def test_reading_an_expired_account_is_a_404_like_an_id_that_never_existed(api, expired, path):
    url = path.format(id=expired["account"]["id"], crawl_id=expired["crawl_id"])
    at_day(29)  # within the window: readable
    status, shown = api("GET", url)
    assert status == 200, shown

    at_day(31)
    status, error = api("GET", url)
    assert (status, code_of(error)) == (404, "not_found")
    never_existed = path.format(id=str(uuid.uuid4()), crawl_id=expired["crawl_id"])
    assert api("GET", never_existed) == (status, error)
    assert raw_item(ACCOUNT_PREFIX + expired["account"]["id"]) is not None  # TTL has not deleted it


def listed_ids(api, path: str) -> list[str]:
    status, page = api("GET", path, query={"limit": "100"} if path == "/v1/accounts" else None)
    assert status == 200, page
    if path == "/v1/inventory/summary":
        return [row["account_id"] for row in page["by_account"]]
    if path == "/v1/credentials/rotation":
        return [item["account_id"] for item in page["items"]]
    return [item["id"] for item in page["items"]]


@pytest.mark.parametrize("path", ["/v1/accounts", "/v1/inventory/summary", "/v1/credentials/rotation"])
def test_an_expired_account_is_absent_from_every_list_and_total(api, expired, path):
    account_id = expired["account"]["id"]
    at_day(29)
    if path != "/v1/credentials/rotation":  # a disconnected account's key is never due for rotation
        assert listed_ids(api, path) == [account_id]

    at_day(31)
    assert listed_ids(api, path) == []
    if path == "/v1/inventory/summary":
        summary = api("GET", path)[1]
        assert (summary["accounts"], summary["total"], summary["by_type"], summary["by_region"]) == (
            0,
            0,
            {},
            {},
        )
    assert raw_item(ACCOUNT_PREFIX + account_id) is not None


WRITES = [
    ("PUT", "/v1/accounts/{id}/credentials", "new key"),
    ("DELETE", "/v1/accounts/{id}", None),
    ("PATCH", "/v1/accounts/{id}", {"name": "still here?", "crawl_interval_minutes": 60}),
    ("POST", "/v1/accounts/{id}/test", None),
    ("POST", "/v1/accounts/{id}/crawls", None),
    ("POST", "/v1/accounts/{id}/restore", "new key"),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_to_an_expired_account_is_a_404_and_changes_nothing(api, expired, method, path, body):
    account_id = expired["account"]["id"]
    if body == "new key":  # a working key of the same AWS account: only the expiry stands in the way
        body = {"credentials": access_key_credentials(create_user_key(CUSTOMER_ACCOUNT, "new-reader"))}
    stored = raw_item(ACCOUNT_PREFIX + account_id)
    crawls = api("GET", f"/v1/accounts/{account_id}/crawls")[1]["items"]

    at_day(31)
    status, error = api(method, path.format(id=account_id), body)
    assert (status, code_of(error)) == (404, "not_found"), error
    assert api(method, path.format(id=str(uuid.uuid4())), body) == (status, error)

    # Nothing was written: the item as it was, no secret, no schedule, no crawl.
    assert raw_item(ACCOUNT_PREFIX + account_id) == stored
    assert raw_item(SECRET_PREFIX + account_id) is None
    assert f"crawl-{account_id}" not in schedule_names()
    at_day(29)
    assert api("GET", f"/v1/accounts/{account_id}/crawls")[1]["items"] == crawls
