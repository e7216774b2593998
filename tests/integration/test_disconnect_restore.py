"""Disconnect destroys stored secrets at once and keeps the rest for 30 days; restore brings it back."""

from datetime import UTC, datetime, timedelta

from skylight.dal.dynamodb import SECRET_PREFIX, SecretItem, tenant_pk
from skylight.handlers import dependencies
from tests.integration.conftest import connect_body
from tests.support import (
    CUSTOMER_ACCOUNT,
    OTHER_CUSTOMER_ACCOUNT,
    access_key_credentials,
    create_user_key,
    set_trust_policy,
    trust_policy,
)


def secret_item_exists(account_id, tenant="tenant-a"):
    try:
        SecretItem.get(tenant_pk(tenant), SECRET_PREFIX + account_id, consistent_read=True)
    except SecretItem.DoesNotExist:
        return False
    return True


def test_disconnect_shreds_the_stored_key_at_once_and_keeps_the_account(api, key_account):
    account, _ = key_account
    assert secret_item_exists(account["id"])
    status, gone = api("DELETE", f"/v1/accounts/{account['id']}")
    assert (status, gone["status"]) == (200, "disconnected")
    assert not secret_item_exists(account["id"])  # ciphertext and wrapped data key, gone now
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["steps"] == account["steps"]  # history kept
    assert api("POST", f"/v1/accounts/{account['id']}/test")[1]["error"]["code"] == "account_disconnected"


def test_a_key_account_restores_with_new_credentials_only(api, key_account):
    account, key = key_account
    path = f"/v1/accounts/{account['id']}"
    api("DELETE", path)

    status, body = api("POST", f"{path}/restore", {})
    assert (status, body["error"]["code"], body["error"]["fields"][0]["field"]) == (
        400,
        "invalid_request",
        "credentials",
    )
    status, body = api(
        "POST", f"{path}/restore", {"credentials": access_key_credentials(key, secret="w" * 40)}
    )
    assert (status, body["error"]["code"]) == (422, "invalid_credentials")
    assert api("GET", path)[1]["status"] == "disconnected"

    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    status, restored = api("POST", f"{path}/restore", {"credentials": access_key_credentials(new)})
    assert status == 200, restored
    assert (restored["status"], restored["disconnected_at"], restored["retained_until"]) == (
        "connected",
        None,
        None,
    )
    assert restored["connected_at"] == account["connected_at"]
    assert restored["credentials"]["access_key_id"] == new.access_key_id
    assert secret_item_exists(account["id"])
    assert api("POST", f"{path}/test")[1]["result"] == "connected"


def test_a_role_account_restores_as_it_is_within_the_window(api, connected):
    account, _ = connected
    path = f"/v1/accounts/{account['id']}"
    api("DELETE", path)
    dependencies.services().clock = lambda: datetime.now(UTC) + timedelta(days=29)
    status, restored = api("POST", f"{path}/restore")
    assert (status, restored["status"]) == (200, "connected")
    assert restored["id"] == account["id"] and restored["connected_at"] == account["connected_at"]
    # Its connection is claimed again.
    assert api("POST", "/v1/accounts", connect_body(account["credentials"]["role_arn"]))[0] == 409


def test_restore_is_refused_after_the_window_even_before_ttl_deletes_the_item(api, connected):
    account, _ = connected
    api("DELETE", f"/v1/accounts/{account['id']}")
    dependencies.services().clock = lambda: datetime.now(UTC) + timedelta(days=31)
    status, body = api("POST", f"/v1/accounts/{account['id']}/restore")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_restore_revalidates_a_role_that_no_longer_works(api, connected):
    account, role = connected
    api("DELETE", f"/v1/accounts/{account['id']}")
    set_trust_policy(role, trust_policy(external_id="not-ours"))
    status, body = api("POST", f"/v1/accounts/{account['id']}/restore")
    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["status"] == "disconnected"


def test_restore_refuses_a_connected_account_a_taken_connection_and_another_aws_account(api, connected):
    account, role = connected
    path = f"/v1/accounts/{account['id']}"
    assert api("POST", f"{path}/restore")[1]["error"]["code"] == "account_not_disconnected"
    api("DELETE", path)
    assert api("POST", "/v1/accounts", connect_body(role.arn, name="replacement"))[0] == 201
    status, body = api("POST", f"{path}/restore")
    assert (status, body["error"]["code"]) == (409, "already_connected")


def test_a_key_from_another_aws_account_cannot_restore(api, key_account):
    account, _ = key_account
    api("DELETE", f"/v1/accounts/{account['id']}")
    other = create_user_key(OTHER_CUSTOMER_ACCOUNT, "reader")
    status, body = api(
        "POST", f"/v1/accounts/{account['id']}/restore", {"credentials": access_key_credentials(other)}
    )
    assert (status, body["error"]["code"]) == (422, "identity_mismatch")
