"""POST /v1/accounts with an IAM user's access key: validated like a role, stored only in the vault."""

import json

import pytest

from skylight.config import get_settings
from skylight.logic.tenants import tenant_context
from skylight.models.domain import Access
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.permissions import READ_PROBES
from skylight.providers.aws.provider import AwsProvider
from skylight.providers.base import TenantContext
from tests.faults import CallLog
from tests.integration.conftest import SESSION, aws_provider, stored_account, stored_items
from tests.integration.test_round_trips import CallRecorder
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import (
    CUSTOMER_ACCOUNT,
    PLATFORM_PRINCIPAL_ARN,
    access_key_body,
    account_of,
    allow,
    create_root_key,
    create_user_key,
)

KEY_STEPS = ["parse_credentials", "verify_identity", "not_root_user", "key_age", "read_permissions"]


def table_items():
    return stored_items()


def test_an_access_key_connects_and_only_its_id_is_shown(api, key_account):
    account, key = key_account
    assert account["status"] == "connected"
    assert account["provider_account_id"] == CUSTOMER_ACCOUNT
    assert account["identity_arn"] == f"arn:aws:iam::{CUSTOMER_ACCOUNT}:user/skylight-reader"
    assert account["credentials"] == {
        "type": "access_key",
        "access_key_id": key.access_key_id,
        "partition": "aws",
    }
    assert [s["name"] for s in account["steps"]] == KEY_STEPS
    assert {s["outcome"] for s in account["steps"]} == {"passed"}
    age = account["credential_age"]
    assert (age["source"], age["status"], age["age_days"]) == ("provider_creation_date", "ok", 0)
    assert key.secret_access_key not in json.dumps(account)


def test_the_key_is_stored_envelope_encrypted_and_nowhere_in_plaintext(api, key_account):
    account, key = key_account
    items = table_items()
    assert key.secret_access_key not in json.dumps(items, default=str)
    (secret,) = [i for i in items if i["sk"]["S"] == f"SECRET#{account['id']}"]
    assert set(secret) >= {"ciphertext", "encrypted_data_key", "key_id", "nonce", "purpose", "secret_version"}
    assert len(secret["nonce"]["B"]) == 12
    assert secret["purpose"]["S"] == "aws_access_key"
    assert secret["algorithm"]["S"] == "AES-256-GCM"


def test_the_crawler_gets_the_key_as_credentials_without_a_session_token(api, key_account):
    account, key = key_account
    domain = stored_account(account["id"])
    from skylight.handlers.dependencies import services

    credentials = aws_provider().account_credentials(domain, tenant_context(services(), "tenant-a", "aws"))
    assert (credentials.access_key_id, credentials.secret_access_key) == (
        key.access_key_id,
        key.secret_access_key,
    )
    assert credentials.session_token is None
    assert key.secret_access_key not in repr(credentials)
    # They work as they are, like a role's temporary credentials.
    assert account_of(credentials) == CUSTOMER_ACCOUNT


def test_a_retest_opens_the_stored_key(api, key_account):
    account, _ = key_account
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (status, result["result"]) == (200, "connected")
    assert [s["name"] for s in result["steps"]] == KEY_STEPS


@pytest.mark.parametrize(
    ("change", "provider_code"),
    [
        ({"access_key_id": "AKIA" + "Q" * 16}, "InvalidClientTokenId"),
        ({"secret_access_key": "w" * 40}, "SignatureDoesNotMatch"),
    ],
)
def test_keys_aws_would_refuse_are_invalid_credentials_and_nothing_is_stored(api, change, provider_code):
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    body = access_key_body(key)
    body["credentials"].update(change)
    status, response = api("POST", "/v1/accounts", body)
    assert (status, response["error"]["code"]) == (422, "invalid_credentials")
    assert response["error"]["provider_error"]["code"] == provider_code
    assert {s["name"]: s["outcome"] for s in response["error"]["steps"]}["verify_identity"] == "failed"
    assert api("GET", "/v1/accounts")[1]["items"] == []
    assert not [i for i in table_items() if i["sk"]["S"].startswith("SECRET#")]


def test_a_deactivated_key_is_invalid_credentials(api):
    from tests.support import account_client

    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    account_client("iam", CUSTOMER_ACCOUNT).update_access_key(
        UserName=key.user_name, AccessKeyId=key.access_key_id, Status="Inactive"
    )
    status, response = api("POST", "/v1/accounts", access_key_body(key))
    assert (status, response["error"]["provider_error"]["code"]) == (422, "InvalidClientTokenId")


def test_root_user_keys_are_refused(api):
    key = create_root_key(CUSTOMER_ACCOUNT)
    status, response = api("POST", "/v1/accounts", access_key_body(key))
    assert (status, response["error"]["code"]) == (422, "root_credentials")
    steps = {s["name"]: s["outcome"] for s in response["error"]["steps"]}
    assert (steps["verify_identity"], steps["not_root_user"], steps["read_permissions"]) == (
        "passed",
        "failed",
        "skipped",
    )
    assert api("GET", "/v1/accounts")[1]["items"] == []


def test_a_root_key_is_used_for_get_caller_identity_only(api):
    # Each call made with a root key may set off the customer's root-activity alarms.
    key = create_root_key(CUSTOMER_ACCOUNT)
    calls = CallLog()
    use_gateway_hooks(calls.hooks())
    status, response = api("POST", "/v1/accounts", access_key_body(key))
    assert (status, response["error"]["code"]) == (422, "root_credentials")
    assert [(c.service, c.operation) for c in calls.calls] == [("sts", "GetCallerIdentity")]
    # The log says truthfully that nothing after the refusal ran.
    steps = {s["name"]: s["outcome"] for s in response["error"]["steps"]}
    assert (steps["key_age"], steps["read_permissions"]) == ("skipped", "skipped")


def test_a_key_aws_refuses_is_used_for_get_caller_identity_only(api):
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    calls = CallLog()
    use_gateway_hooks(calls.hooks())
    status, response = api("POST", "/v1/accounts", access_key_body(key, secret="w" * 40))
    assert (status, response["error"]["code"]) == (422, "invalid_credentials")
    assert [c.operation for c in calls.calls] == ["GetCallerIdentity"]


def test_a_key_is_checked_in_two_sequential_round_trips(aws):
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    recorder = CallRecorder()
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=recorder.hooks())
    provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
    credentials = provider.parse_credentials(access_key_body(key)["credentials"])

    report = provider.validate(credentials, Access.READ_ONLY, TenantContext("tenant-a"))

    assert report.connected
    operations = [name for name, _, _ in recorder.calls]
    assert operations.count("GetCallerIdentity") == 1 and "ListAccessKeys" in operations
    assert len(operations) == 1 + 1 + len(READ_PROBES)  # identity, then the key's age and every read probe
    assert recorder.sequential_depth() == 2


def test_a_key_without_read_permissions_is_permission_denied(api):
    key = create_user_key(CUSTOMER_ACCOUNT, "no-reads", policy=allow("iam:ListAccessKeys"))
    status, response = api("POST", "/v1/accounts", access_key_body(key))
    assert (status, response["error"]["code"]) == (422, "permission_denied")


def test_a_key_that_may_not_read_its_creation_date_counts_its_age_from_the_upload(api):
    key = create_user_key(CUSTOMER_ACCOUNT, "no-list", policy=allow("ec2:Describe*", "s3:ListAllMyBuckets"))
    status, account = api("POST", "/v1/accounts", access_key_body(key))
    assert status == 201, account
    step = next(s for s in account["steps"] if s["name"] == "key_age")
    assert (step["outcome"], step["provider_error_code"]) == ("warning", "AccessDenied")
    assert account["credential_age"]["source"] == "upload_time"


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        (
            {"type": "access_key", "access_key_id": "ASIA" + "A" * 16, "secret_access_key": "s" * 40},
            "access_key_id",
        ),
        (
            {"type": "access_key", "access_key_id": "AKIA" + "A" * 16, "secret_access_key": "short"},
            "secret_access_key",
        ),
        ({"type": "access_key", "access_key_id": "AKIA" + "A" * 16}, "secret_access_key"),
        (
            {
                "type": "access_key",
                "access_key_id": "AKIA" + "A" * 16,
                "secret_access_key": "s" * 40,
                "partition": "x",
            },
            "partition",
        ),
    ],
)
def test_malformed_keys_are_a_400_naming_the_field_without_echoing_the_secret(api, credentials, field):
    body = {"provider": "aws", "name": "keys", "credentials": credentials}
    status, response = api("POST", "/v1/accounts", body)
    assert (status, response["error"]["code"]) == (400, "invalid_request")
    assert f"credentials.{field}" in [f["field"] for f in response["error"]["fields"]]
    assert "s" * 40 not in json.dumps(response) and "short" not in json.dumps(response)


def test_the_same_key_cannot_be_connected_twice(api, key_account):
    account, key = key_account
    status, response = api("POST", "/v1/accounts", access_key_body(key, name="again"))
    assert (status, response["error"]["code"], response["error"]["account_id"]) == (
        409,
        "already_connected",
        account["id"],
    )


def test_the_sealed_key_lives_in_the_secrets_table_only(api, key_account):
    """The secrets table keeps no point-in-time backup: a destroyed secret cannot come back from one."""

    from tests.integration.conftest import SECRETS_TABLE, TABLE

    account, _ = key_account
    dynamodb = SESSION.client("dynamodb")
    sealed = f"SECRET#{account['id']}"
    in_main = [i["sk"]["S"] for i in dynamodb.scan(TableName=TABLE)["Items"]]
    in_secrets = [i["sk"]["S"] for i in dynamodb.scan(TableName=SECRETS_TABLE)["Items"]]
    assert sealed in in_secrets and sealed not in in_main
    assert all(sort_key.startswith("SECRET#") for sort_key in in_secrets)

    assert api("DELETE", f"/v1/accounts/{account['id']}")[0] == 200
    assert dynamodb.scan(TableName=SECRETS_TABLE)["Items"] == []
