"""Per-tenant limits: accounts per tenant, validations a minute, crawl requests an hour per account.

Past a limit the answer is 429 `rate_limited` with `Retry-After`, and nothing was validated or stored.
The limits live in DynamoDB and are taken with conditional writes: exact under concurrent requests
(the emulator serializes DynamoDB writes as DynamoDB does, see `local.emulator.dynamodb_atomicity`).
"""

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from skylight.dal.base import LimitReached
from skylight.dal.dynamodb import DynamoRateLimits
from skylight.handlers import dependencies
from skylight.handlers.api.app import lambda_handler
from skylight.logic.services import TenantLimits
from tests.integration.conftest import TABLE, connect_body, external_id_of, stored_items
from tests.support import (
    CUSTOMER_ACCOUNT,
    OTHER_CUSTOMER_ACCOUNT,
    LambdaContext,
    api_event,
    create_customer_role,
    trust_policy,
)

NOW = datetime(2026, 12, 4, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def limits(api):
    """Small limits and a clock the test moves."""
    services = dependencies.services()
    services.tenant_limits = TenantLimits(accounts=2, validations_per_minute=3, crawl_requests_per_hour=2)
    now = [NOW]
    services.clock = lambda: now[0]
    return now


def raw_call(method, path, body=None, tenant="tenant-a"):
    """The API's whole answer, headers included."""
    claims = {"tenant_id": tenant, "sub": f"user-of-{tenant}", "roles": ["admin"]}
    response = lambda_handler(api_event(method, path, body, claims), LambdaContext())
    return response["statusCode"], response.get("headers") or {}, json.loads(response["body"])


def items_of(tenant, prefix):
    return [
        i for i in stored_items() if i["pk"]["S"] == f"TENANT#{tenant}" and i["sk"]["S"].startswith(prefix)
    ]


def test_validations_past_the_minutes_limit_are_429_with_retry_after_and_store_nothing(api, limits):
    missing = connect_body(f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Missing")
    for _ in range(3):
        assert api("POST", "/v1/accounts", missing)[0] == 422
    audit_before = items_of("tenant-a", "AUDIT#")

    status, headers, body = raw_call("POST", "/v1/accounts", missing)

    assert status == 429
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["limit"] == "validations"
    assert headers["Retry-After"] == "30"  # the minute's window ends 30 s from now
    assert body["error"]["retry_after_seconds"] == 30
    assert items_of("tenant-a", "AUDIT#") == audit_before
    assert items_of("tenant-a", "ACCOUNT#") == []
    # Another tenant has limits of its own; the next minute the tenant may try again.
    assert api("POST", "/v1/accounts", missing, tenant="tenant-b")[0] == 422
    limits[0] = NOW + timedelta(seconds=30)
    assert api("POST", "/v1/accounts", missing)[0] == 422


def test_tests_credential_replacements_and_restores_count_as_validations(api, limits, connected):
    account, _ = connected  # the connect was one
    assert api("POST", f"/v1/accounts/{account['id']}/test")[0] == 200
    assert api("DELETE", f"/v1/accounts/{account['id']}")[0] == 200
    assert api("POST", f"/v1/accounts/{account['id']}/restore")[0] == 200

    for method, path, body in [
        ("POST", f"/v1/accounts/{account['id']}/test", None),
        (
            "PUT",
            f"/v1/accounts/{account['id']}/credentials",
            {"credentials": connect_body("x")["credentials"]},
        ),
        ("POST", "/v1/accounts", connect_body(f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Other")),
    ]:
        status, _, refused = raw_call(method, path, body)
        assert (status, refused["error"]["code"]) == (429, "rate_limited"), path


def test_a_tenant_has_at_most_its_limit_of_accounts_until_it_disconnects_one(api, limits):
    external_id = external_id_of(api)
    arns = [
        create_customer_role(account, name, trust_policy(external_id=external_id)).arn
        for account, name in [
            (CUSTOMER_ACCOUNT, "One"),
            (CUSTOMER_ACCOUNT, "Two"),
            (OTHER_CUSTOMER_ACCOUNT, "Three"),
        ]
    ]
    first = api("POST", "/v1/accounts", connect_body(arns[0]))[1]
    assert api("POST", "/v1/accounts", connect_body(arns[1]))[0] == 201
    limits[0] = NOW + timedelta(minutes=1)  # validations are not what stops the next one

    status, headers, body = raw_call("POST", "/v1/accounts", connect_body(arns[2]))

    assert (status, body["error"]["code"], body["error"]["limit"]) == (
        429,
        "rate_limited",
        "accounts_per_tenant",
    )
    assert int(headers["Retry-After"]) > 0
    assert len(items_of("tenant-a", "ACCOUNT#")) == 2
    # Disconnected accounts do not count; restoring one counts again.
    assert api("DELETE", f"/v1/accounts/{first['id']}")[0] == 200
    third = api("POST", "/v1/accounts", connect_body(arns[2]))
    assert third[0] == 201
    status, refused = api("POST", f"/v1/accounts/{first['id']}/restore")
    assert (status, refused["error"]["code"]) == (429, "rate_limited")
    assert api("GET", f"/v1/accounts/{first['id']}")[1]["status"] == "disconnected"


def test_accounts_stored_before_counts_existed_are_counted_on_first_use(api, limits, connected):
    # Given an account stored by code that kept no count (the count item is gone)
    from tests.integration.conftest import SESSION

    SESSION.client("dynamodb").delete_item(
        TableName=TABLE, Key={"pk": {"S": "TENANT#tenant-a"}, "sk": {"S": "ACCOUNTS"}}
    )

    # Then the next use counts the stored accounts first
    assert dependencies.services().accounts.active_count("tenant-a") == 1


def test_on_demand_crawls_past_the_hours_limit_are_429_per_account(api, limits, connected):
    account, _ = connected
    path = f"/v1/accounts/{account['id']}/crawls"
    assert api("POST", path)[0] in (200, 202)
    assert api("POST", path)[0] in (200, 202)

    status, headers, body = raw_call("POST", path)

    assert (status, body["error"]["code"], body["error"]["limit"]) == (429, "rate_limited", "crawls")
    assert int(headers["Retry-After"]) == 3600 - 30


def test_limits_hold_under_concurrent_requests(aws):
    # Given twenty requests at once against a limit of seven
    limits = DynamoRateLimits(TABLE, "us-east-1")

    def take(_):
        try:
            limits.take("tenant-a", "validations", 7, timedelta(minutes=1), NOW)
        except LimitReached:
            return False
        return True

    with ThreadPoolExecutor(max_workers=20) as pool:
        taken = sum(pool.map(take, range(20)))

    # Then exactly seven got through
    assert taken == 7


def test_the_account_limit_holds_under_concurrent_connects(aws):
    # Given eight accounts stored at once against a limit of three
    from skylight.dal.base import TooManyAccounts
    from skylight.models.domain import Access, Account, AccountStatus

    repository = dependencies.services().accounts

    def create(index):
        account = Account(
            id=f"account-{index}",
            tenant_id="tenant-a",
            provider="aws",
            name=f"n{index}",
            access=Access.READ_ONLY,
            status=AccountStatus.CONNECTED,
            credentials={"type": "role"},
            connection_key=f"aws:key-{index}:read_only",
            connected_at=NOW,
            updated_at=NOW,
        )
        try:
            repository.create(account, most=3)
        except TooManyAccounts:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = sum(pool.map(create, range(8)))

    # Then three were stored, and the count says three
    assert created == 3
    assert len(items_of("tenant-a", "ACCOUNT#")) == 3
    assert repository.active_count("tenant-a") == 3


def test_the_limits_are_the_configured_ones(aws):
    assert dataclasses.asdict(dependencies.services().tenant_limits) == {
        "accounts": 500,
        "validations_per_minute": 30,
        "crawl_requests_per_hour": 12,
    }
