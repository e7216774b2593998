"""GET /v1/audit: every connect, test, credential change, External ID rotation, disconnect and restore."""

import pytest

from tests.support import CUSTOMER_ACCOUNT, access_key_body, access_key_credentials, create_user_key


def trail(api, tenant="tenant-a", **query):
    status, page = api("GET", "/v1/audit", tenant=tenant, query=query or None)
    assert status == 200, page
    return page


def test_each_action_is_recorded_with_who_when_what_and_outcome(api, key_account, connected):
    key_acct, key = key_account
    role_acct, _ = connected
    api("POST", "/v1/accounts", access_key_body(key, secret="w" * 40, name="bad"))  # fails: 422
    api("POST", f"/v1/accounts/{role_acct['id']}/test")
    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    api("PUT", f"/v1/accounts/{key_acct['id']}/credentials", {"credentials": access_key_credentials(new)})
    api("POST", "/v1/onboarding/aws/external-id/rotate")
    api("POST", "/v1/onboarding/aws/external-id/complete", query={"force": "true"})
    api("DELETE", f"/v1/accounts/{role_acct['id']}")
    api("POST", f"/v1/accounts/{role_acct['id']}/restore")

    entries = trail(api)["items"]
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("account.restore", "access_denied"),  # the role trusts only the retired External ID
        ("account.disconnect", "success"),
        ("external_id.complete", "success"),
        ("account.test", "success"),  # completing re-tests the role not yet seen on the new ID
        ("external_id.rotate", "success"),
        ("account.credentials.replace", "success"),
        ("account.test", "success"),
        ("account.connect", "already_connected"),
        ("account.connect", "success"),
        ("account.connect", "success"),
    ]
    assert {e["actor"] for e in entries} == {"user-of-tenant-a"}
    assert entries[0]["target"] == role_acct["id"]
    assert entries[-1]["target"] == key_acct["id"]
    assert entries[-1]["details"] == {"provider": "aws", "credentials_type": "access_key"}
    assert all(e["at"] for e in entries)
    assert "w" * 40 not in str(entries) and key.secret_access_key not in str(entries)


def test_renames_schedule_changes_and_crawl_requests_are_recorded_too(api, connected):
    account, _ = connected
    api("PATCH", f"/v1/accounts/{account['id']}", {"name": "Renamed", "crawl_interval_minutes": 60})
    api("PATCH", f"/v1/accounts/{account['id']}", {"name": "Again"})
    started = api("POST", f"/v1/accounts/{account['id']}/crawls")[1]
    api("POST", f"/v1/accounts/{account['id']}/crawls")  # the crawl is still running
    api("DELETE", f"/v1/accounts/{account['id']}")
    api("PATCH", f"/v1/accounts/{account['id']}", {"name": "Too late"})  # 409: disconnected

    entries = [(e["action"], e["outcome"], e["target"], e["details"]) for e in trail(api)["items"]]

    assert entries[:6] == [
        ("account.update", "account_disconnected", account["id"], {"changed": ["name"]}),
        ("account.disconnect", "success", account["id"], {}),
        ("crawl.request", "success", account["id"], {"crawl_id": started["id"], "started": False}),
        ("crawl.request", "success", account["id"], {"crawl_id": started["id"], "started": True}),
        ("account.update", "success", account["id"], {"changed": ["name"]}),
        (
            "account.update",
            "success",
            account["id"],
            {"changed": ["crawl_interval_minutes", "name"], "crawl_interval_minutes": 60},
        ),
    ]
    assert "Renamed" not in str(entries)  # the tenant's own words are not repeated in the trail


def test_a_token_without_a_subject_is_refused_before_anything_is_recorded(api, connected):
    from skylight.handlers.api.app import lambda_handler
    from tests.support import LambdaContext, api_event

    account, _ = connected
    event = api_event(
        "DELETE", f"/v1/accounts/{account['id']}", None, {"tenant_id": "tenant-a", "roles": ["admin"]}
    )

    assert lambda_handler(event, LambdaContext())["statusCode"] == 401
    assert [e["action"] for e in trail(api)["items"]] == ["account.connect"]


def test_the_trail_is_paginated_admin_only_and_per_tenant(api, connected):
    account, _ = connected
    for _ in range(2):
        api("POST", f"/v1/accounts/{account['id']}/test")
    first = trail(api, limit="2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = trail(api, limit="2", cursor=first["next_cursor"])
    assert [e["action"] for e in second["items"]] == ["account.connect"]
    assert second["next_cursor"] is None

    assert api("GET", "/v1/audit", roles=("viewer",))[0] == 403
    assert trail(api, tenant="tenant-b")["items"] == []
    # A cursor of tenant-a's trail is refused for tenant-b, never a page.
    status, body = api("GET", "/v1/audit", tenant="tenant-b", query={"cursor": first["next_cursor"]})
    assert (status, body["error"]["fields"][0]["field"]) == (400, "cursor")


@pytest.mark.parametrize("cursor", ["not-base64!", "eyJhZnRlciI6IkFDQ09VTlQjMSJ9"])
def test_a_forged_audit_cursor_is_a_400(api, cursor):
    status, body = api("GET", "/v1/audit", query={"cursor": cursor})
    assert (status, body["error"]["fields"][0]["field"]) == (400, "cursor")
