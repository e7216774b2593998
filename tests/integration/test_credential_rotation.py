"""PUT /v1/accounts/{id}/credentials and credential age: new credentials take over only once they work."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from local.emulator.access_keys import find_access_key
from skylight.config import get_settings
from skylight.handlers import dependencies
from skylight.logic.tenants import tenant_context
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.provider import AwsProvider
from tests.integration.conftest import aws_provider, connect_body, stored_account
from tests.support import (
    CUSTOMER_ACCOUNT,
    OTHER_CUSTOMER_ACCOUNT,
    PLATFORM_PRINCIPAL_ARN,
    access_key_body,
    access_key_credentials,
    account_of,
    create_user_key,
)


def credentials_in_use(account_id):
    account = stored_account(account_id)
    return aws_provider().account_credentials(
        account, tenant_context(dependencies.services(), "tenant-a", "aws")
    )


def works(credentials):
    return account_of(credentials) == CUSTOMER_ACCOUNT


def test_a_working_new_key_replaces_the_old_one(api, key_account):
    account, _old = key_account
    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    path = f"/v1/accounts/{account['id']}/credentials"
    status, replaced = api("PUT", path, {"credentials": access_key_credentials(new)})
    assert status == 200, replaced
    assert replaced["credentials"]["access_key_id"] == new.access_key_id
    assert replaced["credentials_updated_at"] and replaced["connected_at"] == account["connected_at"]
    assert credentials_in_use(account["id"]).access_key_id == new.access_key_id
    assert new.secret_access_key not in json.dumps(replaced)
    # The old key's connection is freed, the new one is taken.
    assert (
        api("POST", "/v1/accounts", access_key_body(new, name="dup"))[1]["error"]["code"]
        == "already_connected"
    )


def test_working_credentials_are_in_use_at_every_moment_even_when_the_new_key_fails(api, key_account):
    account, old = key_account
    seen_during_validation = []

    def check_old_key_still_serves(model, **_):
        if model.name == "GetCallerIdentity":
            in_use = credentials_in_use(account["id"])
            seen_during_validation.append((in_use.access_key_id, works(in_use)))

    gateway = Boto3AwsGateway(
        PLATFORM_PRINCIPAL_ARN,
        get_settings().region,
        event_hooks=(("before-call", check_old_key_still_serves),),
    )
    provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
    dependencies.services().provider = lambda name: provider

    path = f"/v1/accounts/{account['id']}/credentials"
    wrong = access_key_credentials(old, secret="w" * 40)
    status, body = api("PUT", path, {"credentials": wrong})
    assert (status, body["error"]["code"]) == (422, "invalid_credentials")
    assert body["error"]["provider_error"]["code"] == "SignatureDoesNotMatch"
    assert "w" * 40 not in json.dumps(body)

    good = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    assert api("PUT", path, {"credentials": access_key_credentials(good)})[0] == 200

    # During both validations the old key was the one in use, and it worked.
    assert seen_during_validation == [(old.access_key_id, True), (old.access_key_id, True)]
    assert credentials_in_use(account["id"]).access_key_id == good.access_key_id
    assert works(credentials_in_use(account["id"]))


def test_a_failed_replacement_leaves_the_account_untouched(api, key_account):
    account, old = key_account
    path = f"/v1/accounts/{account['id']}/credentials"
    unknown = {"type": "access_key", "access_key_id": "AKIA" + "Z" * 16, "secret_access_key": "s" * 40}
    assert api("PUT", path, {"credentials": unknown})[0] == 422
    _status, current = api("GET", f"/v1/accounts/{account['id']}")
    assert current["credentials"]["access_key_id"] == old.access_key_id
    assert current["status"] == "connected"
    assert api("POST", f"/v1/accounts/{account['id']}/test")[1]["result"] == "connected"


def test_a_key_of_another_aws_account_is_refused(api, key_account):
    account, _ = key_account
    other = create_user_key(OTHER_CUSTOMER_ACCOUNT, "reader")
    status, body = api(
        "PUT", f"/v1/accounts/{account['id']}/credentials", {"credentials": access_key_credentials(other)}
    )
    assert (status, body["error"]["code"]) == (422, "identity_mismatch")
    assert credentials_in_use(account["id"]).access_key_id == account["credentials"]["access_key_id"]


def test_credentials_of_another_type_are_a_400(api, key_account, connected):
    account, _ = key_account
    _role_account, role = connected
    body = {"credentials": connect_body(role.arn)["credentials"]}
    status, response = api("PUT", f"/v1/accounts/{account['id']}/credentials", body)
    assert (status, response["error"]["fields"][0]["field"]) == (400, "credentials.type")


def test_a_role_account_can_move_to_another_role_of_the_same_account(api, connected):
    from tests.integration.conftest import external_id_of
    from tests.support import create_customer_role, trust_policy

    account, _ = connected
    other = create_customer_role(
        CUSTOMER_ACCOUNT, "SkylightV2", trust_policy(external_id=external_id_of(api))
    )
    body = {"credentials": connect_body(other.arn)["credentials"]}
    status, replaced = api("PUT", f"/v1/accounts/{account['id']}/credentials", body)
    assert (status, replaced["credentials"]["role_arn"]) == (200, other.arn)
    assert replaced["credential_age"] is None


def test_a_disconnected_account_refuses_new_credentials(api, key_account):
    account, _ = key_account
    api("DELETE", f"/v1/accounts/{account['id']}")
    new = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    status, body = api(
        "PUT", f"/v1/accounts/{account['id']}/credentials", {"credentials": access_key_credentials(new)}
    )
    assert (status, body["error"]["code"]) == (409, "account_disconnected")


def age_backdated(key, days):
    find_access_key(key.access_key_id).create_date = datetime.now(UTC) - timedelta(days=days)


@pytest.mark.parametrize(("days", "status"), [(10, "ok"), (61, "warning"), (95, "rotate_now")])
def test_the_age_comes_from_the_keys_creation_date(api, days, status):
    key = create_user_key(CUSTOMER_ACCOUNT, "old-reader")
    age_backdated(key, days)
    code, account = api("POST", "/v1/accounts", access_key_body(key))
    assert code == 201
    age = account["credential_age"]
    assert (age["age_days"], age["status"], age["source"]) == (days, status, "provider_creation_date")
    assert (age["warn_after_days"], age["rotate_after_days"]) == (60, 90)


def test_rotation_list_health_and_thresholds(api, connected):
    fresh, old, ancient = (create_user_key(CUSTOMER_ACCOUNT, f"user-{n}") for n in range(3))
    age_backdated(old, 65)
    age_backdated(ancient, 120)
    ids = {}
    for name, key in (("fresh", fresh), ("old", old), ("ancient", ancient)):
        ids[name] = api("POST", "/v1/accounts", access_key_body(key, name=name))[1]["id"]

    status, due = api("GET", "/v1/credentials/rotation", roles=("viewer",))
    assert status == 200
    assert [(i["name"], i["credential_age"]["status"]) for i in due["items"]] == [
        ("ancient", "rotate_now"),
        ("old", "warning"),
    ]
    status, health = api("GET", f"/v1/accounts/{ids['ancient']}/health", roles=("viewer",))
    assert status == 200 and health["credential_age"]["status"] == "rotate_now"
    assert any("rotate_now" in warning for warning in health["warnings"])
    assert api("GET", f"/v1/accounts/{ids['fresh']}/health")[1]["warnings"] == []

    # Thresholds are configuration; time passes for everyone.
    services = dependencies.services()
    services.credential_warn_after, services.credential_rotate_after = timedelta(days=5), timedelta(days=100)
    services.clock = lambda: datetime.now(UTC) + timedelta(days=6)
    due = api("GET", "/v1/credentials/rotation")[1]["items"]
    assert [(i["name"], i["credential_age"]["status"]) for i in due] == [
        ("ancient", "rotate_now"),
        ("old", "warning"),
        ("fresh", "warning"),
    ]


def test_replacing_a_key_resets_its_age(api):
    key = create_user_key(CUSTOMER_ACCOUNT, "reader")
    age_backdated(key, 100)
    account = api("POST", "/v1/accounts", access_key_body(key))[1]
    assert api("GET", "/v1/credentials/rotation")[1]["items"][0]["account_id"] == account["id"]
    new = create_user_key(CUSTOMER_ACCOUNT, "reader")
    api("PUT", f"/v1/accounts/{account['id']}/credentials", {"credentials": access_key_credentials(new)})
    assert api("GET", "/v1/credentials/rotation")[1]["items"] == []
