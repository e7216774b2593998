"""Another tenant's account does not exist, on every route; roles limit what a caller may do."""

import pytest

from tests.integration.conftest import connect_body, external_id_of
from tests.support import CUSTOMER_ACCOUNT, create_customer_role, trust_policy


@pytest.fixture
def account_of_a(api):
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    return account


ROUTES = [
    ("GET", "/v1/accounts/{id}", None),
    ("PATCH", "/v1/accounts/{id}", {"name": "mine now"}),
    ("POST", "/v1/accounts/{id}/test", None),
    ("DELETE", "/v1/accounts/{id}", None),
    ("POST", "/v1/accounts/{id}/crawls", None),
    ("GET", "/v1/accounts/{id}/crawls", None),
    ("GET", "/v1/accounts/{id}/crawls/20261122T000000000000Z-abcdef", None),
    ("GET", "/v1/accounts/{id}/inventory", None),
    ("GET", "/v1/accounts/{id}/health", None),
    ("POST", "/v1/accounts/{id}/restore", None),
    (
        "PUT",
        "/v1/accounts/{id}/credentials",
        {"credentials": {"type": "role", "role_arn": "arn:aws:iam::111111111111:role/Other"}},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_another_tenants_account_is_not_found(api, account_of_a, method, path, body):
    status, error = api(method, path.format(id=account_of_a["id"]), body, tenant="tenant-b")
    assert (status, error["error"]["code"]) == (404, "not_found")
    shown = api("GET", f"/v1/accounts/{account_of_a['id']}")[1]
    assert {key: shown[key] for key in account_of_a} == account_of_a  # untouched


@pytest.mark.parametrize("path", ["/v1/accounts", "/v1/audit"])
def test_another_tenant_lists_nothing_and_tenant_a_cursors_are_refused(api, account_of_a, key_account, path):
    status, page = api("GET", path, tenant="tenant-b")
    assert (status, page["items"]) == (200, [])
    status, page = api("GET", path, query={"limit": "1"})
    assert status == 200 and page["items"] and page["next_cursor"]
    # A real cursor of tenant A's listing, replayed by tenant B: refused, not an empty page.
    status, error = api("GET", path, tenant="tenant-b", query={"limit": "1", "cursor": page["next_cursor"]})
    assert (status, error["error"]["code"]) == (400, "invalid_request")
    assert error["error"]["fields"][0]["field"] == "cursor"
    # A hand-made one (old unsigned format, any tenant) too.
    status, error = api("GET", path, tenant="tenant-b", query={"cursor": "eyJhZnRlciI6IkFDQ09VTlQjMCJ9"})
    assert (status, error["error"]["fields"][0]["field"]) == (400, "cursor")
    # Tenant A still pages on with it.
    assert api("GET", path, query={"limit": "1", "cursor": page["next_cursor"]})[0] == 200


def test_a_tenant_cannot_connect_with_another_tenants_external_id(api):
    # Tenant A's role trusts A's External ID; B pointing the platform at it is refused.
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, body = api("POST", "/v1/accounts", connect_body(role.arn), tenant="tenant-b")
    assert (status, body["error"]["code"]) == (422, "access_denied")


def test_tenant_comes_only_from_claims_never_from_the_request(api, account_of_a):
    status, _ = api("GET", "/v1/accounts", tenant="tenant-b", query={"tenant_id": "tenant-a"})
    assert api("GET", "/v1/accounts", tenant="tenant-b", query={"tenant_id": "tenant-a"})[1]["items"] == []
    body = connect_body("arn:aws:iam::111111111111:role/Skylight") | {"tenant_id": "tenant-a"}
    status, error = api("POST", "/v1/accounts", body, tenant="tenant-b")
    assert (status, error["error"]["code"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/accounts", {"provider": "aws"}),
        ("PATCH", "/v1/accounts/{id}", {"name": "x"}),
        ("POST", "/v1/accounts/{id}/test", None),
        ("DELETE", "/v1/accounts/{id}", None),
        ("GET", "/v1/onboarding/aws", None),
    ],
)
def test_viewers_may_only_read(api, account_of_a, method, path, body):
    status, error = api(method, path.format(id=account_of_a["id"]), body, roles=("viewer",))
    assert (status, error["error"]["code"]) == (403, "forbidden")


def test_viewers_read_accounts(api, account_of_a):
    assert api("GET", "/v1/accounts", roles="viewer")[0] == 200
    assert api("GET", f"/v1/accounts/{account_of_a['id']}", roles="viewer")[0] == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/onboarding/aws"),
        ("GET", "/v1/accounts"),
        ("POST", "/v1/accounts"),
        ("GET", "/v1/accounts/x"),
        ("PATCH", "/v1/accounts/x"),
        ("DELETE", "/v1/accounts/x"),
        ("POST", "/v1/accounts/x/test"),
    ],
)
def test_every_route_needs_verified_claims(api, method, path):
    status, error = api(method, path, {"name": "x"} if method in ("POST", "PATCH") else None, tenant=None)
    assert (status, error["error"]["code"]) == (401, "unauthorized")


def test_a_token_without_roles_may_do_nothing(api):
    status, error = api("GET", "/v1/accounts", roles=None)
    assert (status, error["error"]["code"]) == (403, "forbidden")


def test_another_tenants_stored_key_is_invisible_everywhere(api, key_account):
    from tests.support import access_key_credentials, create_user_key

    account, _ = key_account
    path = f"/v1/accounts/{account['id']}"
    api("DELETE", path)
    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    for method, route, body in [
        ("POST", f"{path}/restore", {"credentials": access_key_credentials(new)}),
        ("PUT", f"{path}/credentials", {"credentials": access_key_credentials(new)}),
        ("GET", f"{path}/health", None),
    ]:
        status, error = api(method, route, body, tenant="tenant-b")
        assert (status, error["error"]["code"]) == (404, "not_found")
    assert api("GET", "/v1/credentials/rotation", tenant="tenant-b")[1]["items"] == []
    # B's trail holds only B's own refused attempts, none of A's actions.
    trail_b = api("GET", "/v1/audit", tenant="tenant-b")[1]["items"]
    assert {(e["actor"], e["outcome"]) for e in trail_b} == {("user-of-tenant-b", "not_found")}
    assert api("GET", path)[1]["status"] == "disconnected"
