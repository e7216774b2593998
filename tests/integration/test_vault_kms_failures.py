"""KMS throttled, down or refusing while the vault seals or opens: a clear answer, nothing half-done.

The functions' own vault calls a KMS that answers through a botocore hook (`tests.faults.KmsFailure`):
the boundary changes, Skylight's code does not.
"""

from datetime import UTC, datetime

import pytest

from skylight.handlers import dependencies
from skylight.logic.tenants import tenant_context
from skylight.models.errors import CredentialsUnavailable, RetryLater
from skylight.models.secrets import SecretScope
from skylight.vault import default_vault
from skylight.vault.kms import KmsDataKeys
from tests.faults import KmsFailure
from tests.integration.conftest import aws_provider, stored_account
from tests.integration.conftest import stored_items as everything_stored
from tests.support import CUSTOMER_ACCOUNT, access_key_body, access_key_credentials, create_user_key

# KMS busy or down: (its error code, the HTTP status it answers with); None is a network that
# does not answer.
UNAVAILABLE = [
    ("ThrottlingException", 400),
    ("KMSInternalException", 500),
    ("KeyUnavailableException", 500),
    ("DependencyTimeoutException", 503),
    (None, 0),
]
SCOPE = SecretScope(tenant_id="tenant-a", account_id="acct-1", purpose="aws_access_key")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def kms_fails(monkeypatch):
    """Make the functions' own vault (the default one, wherever it is used) call a KMS that fails as
    the given `KmsFailure` says: its hooks go on every KMS client the vault uses."""

    def install(failure: KmsFailure) -> KmsFailure:
        first_use = KmsDataKeys.__dict__["client"]  # the client the vault makes on first use

        def client_of(keys: KmsDataKeys):
            return first_use.__get__(keys, KmsDataKeys)

        hooked: set[int] = set()

        def client(keys: KmsDataKeys):
            kms = client_of(keys)
            if id(kms) not in hooked:
                hooked.add(id(kms))
                for event_name, hook in failure.hooks():
                    kms.meta.events.register_first(event_name, hook)
            return kms

        monkeypatch.setattr(KmsDataKeys, "client", property(client))
        return failure

    return install


def stored_items() -> list[dict]:
    return everything_stored()


@pytest.mark.parametrize(("code", "status"), UNAVAILABLE)
def test_sealing_while_kms_is_unavailable_is_retry_later(aws, kms_fails, code, status):
    kms_fails(KmsFailure("GenerateDataKey", code, status))
    with pytest.raises(RetryLater) as error:
        default_vault().seal(SCOPE, b"top secret", 1, NOW)
    assert error.value.body()["error"]["code"] == "retry_later"


@pytest.mark.parametrize(("code", "status"), UNAVAILABLE)
def test_opening_while_kms_is_unavailable_is_retry_later(aws, kms_fails, code, status):
    sealed = default_vault().seal(SCOPE, b"top secret", 1, NOW)
    kms_fails(KmsFailure("Decrypt", code, status))
    with pytest.raises(RetryLater), default_vault().open(sealed, SCOPE):
        pass


@pytest.mark.parametrize("code", ["AccessDeniedException", "DisabledException", "InvalidCiphertextException"])
def test_kms_refusing_to_open_is_still_credentials_unavailable_saying_no_more(aws, kms_fails, code):
    sealed = default_vault().seal(SCOPE, b"top secret", 1, NOW)
    kms_fails(KmsFailure("Decrypt", code))
    with pytest.raises(CredentialsUnavailable) as error, default_vault().open(sealed, SCOPE):
        pass
    assert not isinstance(error.value, RetryLater)
    assert error.value.body() == {
        "error": {"code": "credentials_unavailable", "message": "the stored credentials could not be opened"}
    }


def test_connecting_a_key_while_kms_is_throttled_is_a_503_and_stores_nothing(api, kms_fails):
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    throttled = kms_fails(KmsFailure("GenerateDataKey", "ThrottlingException"))

    status, body = api("POST", "/v1/accounts", access_key_body(key))

    assert (status, body["error"]["code"]) == (503, "retry_later")
    assert throttled.attempts >= 1
    assert api("GET", "/v1/accounts")[1]["items"] == []
    # Only the tenant, its audit trail and its limits' bookkeeping (the count of accounts, the
    # validations this minute): no account, connection key or secret.
    assert {i["sk"]["S"].split("#")[0] for i in stored_items()} <= {"TENANT", "AUDIT", "ACCOUNTS", "LIMIT"}
    # Nothing half-stored holds the key: once KMS answers, the same connect goes through.
    throttled.active = False
    assert api("POST", "/v1/accounts", access_key_body(key))[0] == 201


def test_kms_refusing_to_seal_is_a_clear_error_and_stores_nothing(api, kms_fails):
    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    kms_fails(KmsFailure("GenerateDataKey", "DisabledException"))

    status, body = api("POST", "/v1/accounts", access_key_body(key))

    assert (status, body["error"]["code"]) == (500, "credentials_unavailable")
    assert "nothing was stored" in body["error"]["message"]
    assert api("GET", "/v1/accounts")[1]["items"] == []


def test_rotating_a_key_while_kms_is_throttled_is_a_503_and_the_old_key_stays(api, key_account, kms_fails):
    account, old_key = key_account
    new_key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    before = api("GET", f"/v1/accounts/{account['id']}")[1]
    throttled = kms_fails(KmsFailure("GenerateDataKey", "ThrottlingException"))

    status, body = api(
        "PUT", f"/v1/accounts/{account['id']}/credentials", {"credentials": access_key_credentials(new_key)}
    )

    assert (status, body["error"]["code"]) == (503, "retry_later")
    assert api("GET", f"/v1/accounts/{account['id']}")[1] == before
    throttled.active = False
    credentials = aws_provider().account_credentials(
        stored_account(account["id"]), tenant_context(dependencies.services(), "tenant-a", "aws")
    )
    assert credentials.access_key_id == old_key.access_key_id


def test_a_retest_while_kms_is_throttled_is_a_503_and_changes_nothing(api, key_account, kms_fails):
    account, _ = key_account
    before = api("GET", f"/v1/accounts/{account['id']}")[1]
    kms_fails(KmsFailure("Decrypt", "ThrottlingException"))

    status, body = api("POST", f"/v1/accounts/{account['id']}/test")

    assert (status, body["error"]["code"]) == (503, "retry_later")
    assert api("GET", f"/v1/accounts/{account['id']}")[1] == before


def test_the_crawlers_credentials_while_kms_is_throttled_are_retry_later(api, key_account, kms_fails):
    account, _ = key_account
    kms_fails(KmsFailure("Decrypt", "ThrottlingException"))
    provider = aws_provider()
    domain = stored_account(account["id"])
    context = tenant_context(dependencies.services(), "tenant-a", "aws")

    with pytest.raises(RetryLater):
        provider.account_credentials(domain, context)
    # A crawl carries on without them: every type says the key service was busy (not the key).
    listings = provider.crawl_segments(domain, context, {"us-east-1": {}})["us-east-1"]
    assert listings and {listing.error.code for listing in listings if listing.error} == {"KeyServiceBusy"}
    assert all(listing.resources is None for listing in listings)
