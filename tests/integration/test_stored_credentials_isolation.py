"""Stored credentials stay within their tenant, and every newer route checks who calls it.

- GET /v1/credentials/rotation lists the caller's own keys only, most urgent first.
- Each route added with stored credentials, crawls and the audit trail answers 401 without verified
  claims and 403 to a role that may not use it, before it does anything; another tenant's account id is
  a 404 on every account route, exactly like an id that never existed.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.emulator.access_keys import find_access_key
from skylight.dal.dynamodb import SECRET_PREFIX, SecretItem, tenant_pk
from skylight.handlers import dependencies
from skylight.handlers.api.app import lambda_handler
from tests.support import (
    CUSTOMER_ACCOUNT,
    LambdaContext,
    access_key_body,
    access_key_credentials,
    api_event,
    create_user_key,
)


def code_of(body: Any) -> Any:
    """The error code of an answer; None for an answer that is not an error."""
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def backdate(key, days: int) -> None:
    found = find_access_key(key.access_key_id)
    assert found is not None
    found.create_date = datetime.now(UTC) - timedelta(days=days)


def connect_key(api, user: str, days: int, tenant: str) -> dict[str, Any]:
    """A CONNECTED access-key account of `tenant` whose key was created `days` ago."""
    key = create_user_key(CUSTOMER_ACCOUNT, user)
    backdate(key, days)
    status, account = api("POST", "/v1/accounts", access_key_body(key, name=user), tenant=tenant)
    assert status == 201, account
    assert account["status"] == "connected"
    assert account["credential_age"]["age_days"] == days
    return dict(account)


def due(api, tenant: str) -> list[tuple[str, str, int]]:
    status, page = api("GET", "/v1/credentials/rotation", tenant=tenant, roles=("viewer",))
    assert status == 200, page
    return [
        (i["account_id"], i["credential_age"]["status"], i["credential_age"]["age_days"])
        for i in page["items"]
    ]


def test_each_tenant_sees_only_its_own_keys_to_rotate_most_urgent_first(api):
    # All in the same AWS account: what separates them is the tenant, nothing else.
    a_fresh = connect_key(api, "a-fresh", 0, "tenant-a")
    a_aging = connect_key(api, "a-aging", 65, "tenant-a")
    a_old = connect_key(api, "a-old", 95, "tenant-a")
    b_old = connect_key(api, "b-old", 70, "tenant-b")
    ids_of_a = {a_fresh["id"], a_aging["id"], a_old["id"]}

    assert due(api, "tenant-a") == [(a_old["id"], "rotate_now", 95), (a_aging["id"], "warning", 65)]
    assert due(api, "tenant-b") == [(b_old["id"], "warning", 70)]

    # Time passes for everyone: each list grows with its own keys only.
    dependencies.services().clock = lambda: datetime.now(UTC) + timedelta(days=60)
    assert due(api, "tenant-a") == [
        (a_old["id"], "rotate_now", 155),
        (a_aging["id"], "rotate_now", 125),
        (a_fresh["id"], "warning", 60),
    ]
    assert due(api, "tenant-b") == [(b_old["id"], "rotate_now", 130)]

    # Neither answer names anything of the other tenant.
    page_a = api("GET", "/v1/credentials/rotation", tenant="tenant-a")[1]
    page_b = api("GET", "/v1/credentials/rotation", tenant="tenant-b")[1]
    assert {i["name"] for i in page_a["items"]} == {"a-old", "a-aging", "a-fresh"}
    assert {i["name"] for i in page_b["items"]} == {"b-old"}
    assert b_old["id"] not in json.dumps(page_a)
    assert not any(account_id in json.dumps(page_b) for account_id in ids_of_a)


# ---------------------------------------------------------------------------------------------------------
# 401, 403 and 404 on every newer route


@pytest.fixture
def estate_of_a(api) -> dict[str, Any]:
    """tenant-a: a live key account with a crawl, a disconnected key account, and tenant-b's spare key."""
    live = connect_key(api, "live-reader", 10, "tenant-a")
    gone = connect_key(api, "gone-reader", 10, "tenant-a")
    assert api("DELETE", f"/v1/accounts/{gone['id']}")[0] == 200
    status, crawl = api("POST", f"/v1/accounts/{live['id']}/crawls")
    assert status == 202, crawl
    return {"live": live, "gone": gone, "crawl_id": crawl["id"]}


# (method, path, role it needs, account it is about: live or gone). Each would succeed for tenant-a's admin.
Route = tuple[str, str, str, str | None]
ACCOUNT_ROUTES: list[Route] = [
    ("PUT", "/v1/accounts/{id}/credentials", "admin", "live"),
    ("POST", "/v1/accounts/{id}/restore", "admin", "gone"),
    ("POST", "/v1/accounts/{id}/crawls", "admin", "live"),
    ("GET", "/v1/accounts/{id}/crawls", "viewer", "live"),
    ("GET", "/v1/accounts/{id}/crawls/{crawl_id}", "viewer", "live"),
    ("GET", "/v1/accounts/{id}/inventory", "viewer", "live"),
    ("GET", "/v1/accounts/{id}/health", "viewer", "live"),
]
TENANT_ROUTES: list[Route] = [
    ("GET", "/v1/credentials/rotation", "viewer", None),
    ("POST", "/v1/onboarding/aws/external-id/rotate", "admin", None),
    ("POST", "/v1/onboarding/aws/external-id/complete", "admin", None),
    ("GET", "/v1/audit", "admin", None),
    ("GET", "/v1/inventory/summary", "viewer", None),
]
# A role that may not use the route: a viewer on admin routes; a token with no known role on viewer routes.
NOT_ENOUGH = {"admin": ("viewer",), "viewer": ("auditor",)}


def request_for(estate: dict[str, Any], path: str, which: str | None, account_id: str | None = None):
    """The route's path for `which` account (or `account_id`) and a body that would make it succeed."""
    target = account_id or (estate[which]["id"] if which else "")
    url = path.format(id=target, crawl_id=estate["crawl_id"])
    body = None
    if path.endswith(("/credentials", "/restore")):
        # A new key of another IAM user of the same AWS account: valid for the account if it were reached.
        key = create_user_key(CUSTOMER_ACCOUNT, f"spare-{uuid.uuid4().hex[:12]}")
        body = {"credentials": access_key_credentials(key)}
    query = {"force": "true"} if path.endswith("/complete") else None
    return url, body, query


def state_of_a(api, estate: dict[str, Any]) -> dict[str, Any]:
    """What a refused request must leave as it was: accounts, External ID, crawls, secrets, audit trail."""
    secrets: dict[str, tuple[bytes, bytes] | None] = {}
    for which in ("live", "gone"):
        try:
            item = SecretItem.get(
                tenant_pk("tenant-a"), SECRET_PREFIX + estate[which]["id"], consistent_read=True
            )
            secrets[which] = (item.ciphertext, item.encrypted_data_key)
        except SecretItem.DoesNotExist:
            secrets[which] = None
    return {
        "accounts": api("GET", "/v1/accounts", query={"limit": "100"})[1]["items"],
        "kit": api("GET", "/v1/onboarding/aws")[1],
        "crawls": api("GET", f"/v1/accounts/{estate['live']['id']}/crawls")[1]["items"],
        "audit": api("GET", "/v1/audit", query={"limit": "100"})[1]["items"],
        "secrets": secrets,
    }


def call_with_claims(method: str, url: str, claims: dict[str, Any], body: Any, query: Any) -> tuple[int, Any]:
    path, _, _ = url.partition("?")
    response = lambda_handler(api_event(method, path, body, claims, query), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(("method", "path", "role", "which"), ACCOUNT_ROUTES + TENANT_ROUTES)
def test_a_newer_route_needs_verified_claims_and_the_right_role(api, estate_of_a, method, path, role, which):
    url, body, query = request_for(estate_of_a, path, which)
    before = state_of_a(api, estate_of_a)

    # No verified claims at all (the request never went through the authorizer).
    status, error = api(method, url, body, tenant=None, query=query)
    assert (status, code_of(error)) == (401, "unauthorized")
    # Claims, but without the tenant claim: nothing says whose data it would be.
    claims = {"sub": "someone", "roles": ["admin"]}
    status, error = call_with_claims(method, url, claims, body, query)
    assert (status, code_of(error)) == (401, "unauthorized")
    # A role that may not use the route.
    status, error = api(method, url, body, roles=NOT_ENOUGH[role], query=query)
    assert (status, code_of(error)) == (403, "forbidden")

    assert state_of_a(api, estate_of_a) == before  # refused before it did anything


def test_the_route_table_above_matches_what_the_routes_allow(api, estate_of_a):
    # Guard for the matrix: each route works for the role it is listed with (so the refusals mean something).
    for method, path, role, which in ACCOUNT_ROUTES + TENANT_ROUTES:
        url, body, query = request_for(estate_of_a, path, which)
        status, answer = api(method, url, body, roles=(role,), query=query)
        assert status in (200, 202), (method, path, answer)


@pytest.mark.parametrize(("method", "path", "role", "which"), ACCOUNT_ROUTES)
def test_another_tenants_account_is_a_404_on_every_account_route(api, estate_of_a, method, path, role, which):
    before = state_of_a(api, estate_of_a)
    never_existed = str(uuid.uuid4())
    for account in (estate_of_a["live"], estate_of_a["gone"]):
        url, body, query = request_for(estate_of_a, path, which, account_id=account["id"])
        status, error = api(method, url, body, tenant="tenant-b", query=query)
        assert (status, code_of(error)) == (404, "not_found"), error
        # Exactly what an id that never existed gets: nothing tells them apart.
        url, body, query = request_for(estate_of_a, path, which, account_id=never_existed)
        assert api(method, url, body, tenant="tenant-b", query=query) == (status, error)
    assert state_of_a(api, estate_of_a) == before
