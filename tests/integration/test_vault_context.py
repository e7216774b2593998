"""The vault's KMS encryption context on its own, and the configurable credential age thresholds.

- A data key from `KmsDataKeys` for one {tenant_id, account_id, purpose} is unwrapped by KMS with exactly
  that context and no other: KMS itself refuses (a DataKeyError), whatever the AES-GCM associated data.
- CREDENTIAL_WARN_DAYS and CREDENTIAL_ROTATE_DAYS decide an account's `credential_age` status.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.emulator.access_keys import find_access_key
from skylight.models.errors import CredentialsUnavailable
from skylight.models.secrets import SecretScope
from skylight.vault.envelope import Vault
from skylight.vault.keys import DataKey, DataKeyError
from skylight.vault.kms import KmsDataKeys
from tests.integration.conftest import VAULT_KEY_ALIAS, reset_caches
from tests.support import CUSTOMER_ACCOUNT, access_key_body, create_user_key

SCOPE = SecretScope(tenant_id="tenant-a", account_id="acct-1", purpose="aws_access_key")
CONTEXT = SCOPE.encryption_context()
NOW = datetime(2026, 1, 1, tzinfo=UTC)

OTHER_CONTEXTS = {
    "another tenant": {**CONTEXT, "tenant_id": "tenant-b"},
    "another account": {**CONTEXT, "account_id": "acct-2"},
    "another purpose": {**CONTEXT, "purpose": "gcp_service_account_key"},
    "tenant and account swapped": {**CONTEXT, "tenant_id": "acct-1", "account_id": "tenant-a"},
    "purpose left out": {"tenant_id": "tenant-a", "account_id": "acct-1"},
    "one key more": {**CONTEXT, "version": "1"},
    "no context": {},
}


def data_keys() -> KmsDataKeys:
    """As the functions build it: the vault key's alias, the region (a client of its own)."""
    return KmsDataKeys(VAULT_KEY_ALIAS, "us-east-1")


def test_the_data_key_unwraps_with_its_own_context(aws):
    data_key = data_keys().generate(dict(CONTEXT))
    assert len(data_key.plaintext) == 32 and bytes(data_key.plaintext) not in data_key.encrypted
    # Another container (a fresh client) with the same context gets the same key back.
    assert data_keys().decrypt(data_key.encrypted, dict(CONTEXT)) == data_key.plaintext


@pytest.mark.parametrize("other", OTHER_CONTEXTS.values(), ids=OTHER_CONTEXTS.keys())
def test_kms_refuses_to_unwrap_a_data_key_in_any_other_context(aws, other):
    source = data_keys()
    data_key = source.generate(dict(CONTEXT))
    with pytest.raises(DataKeyError) as refused:
        source.decrypt(data_key.encrypted, other)
    assert refused.value.code == "InvalidCiphertextException"
    assert bytes(data_key.plaintext).hex() not in repr(refused.value)
    # Refusing did not consume or spoil anything: its own context still unwraps it.
    assert source.decrypt(data_key.encrypted, dict(CONTEXT)) == data_key.plaintext


class UnwrapsIn:
    """Data keys that are unwrapped in a fixed KMS context, whatever scope the vault asks for."""

    def __init__(self, context: dict[str, str]) -> None:
        self._keys = data_keys()
        self._context = context

    def generate(self, context: dict[str, str]) -> DataKey:
        return self._keys.generate(context)

    def decrypt(self, encrypted: bytes, context: dict[str, str]) -> bytearray:
        return self._keys.decrypt(encrypted, self._context)


def opened(keys: Any, scope: SecretScope, sealed: Any) -> bytes:
    with Vault(keys, store=None).open(sealed, scope) as plaintext:  # type: ignore[arg-type]
        return bytes(plaintext)


@pytest.mark.parametrize("other", OTHER_CONTEXTS.values(), ids=OTHER_CONTEXTS.keys())
def test_the_kms_context_alone_keeps_a_secret_closed_when_the_associated_data_is_right(aws, other):
    sealed = Vault(data_keys(), store=None).seal(SCOPE, b"top secret", version=1, now=NOW)  # type: ignore[arg-type]
    # The AES-GCM associated data is the sealed scope's own; only the KMS context differs.
    assert opened(UnwrapsIn(dict(CONTEXT)), SCOPE, sealed) == b"top secret"
    with pytest.raises(CredentialsUnavailable) as refused:
        opened(UnwrapsIn(other), SCOPE, sealed)
    assert "top secret" not in str(refused.value.body())


def test_the_associated_data_alone_keeps_a_secret_closed_when_the_kms_context_is_right(aws):
    sealed = Vault(data_keys(), store=None).seal(SCOPE, b"top secret", version=1, now=NOW)  # type: ignore[arg-type]
    elsewhere = SecretScope(tenant_id="tenant-b", account_id="acct-1", purpose="aws_access_key")
    # KMS unwraps the data key (right context); the AES-GCM tag check is what refuses.
    with pytest.raises(CredentialsUnavailable):
        opened(UnwrapsIn(dict(CONTEXT)), elsewhere, sealed)


# ---------------------------------------------------------------------------------------------------------
# CREDENTIAL_WARN_DAYS / CREDENTIAL_ROTATE_DAYS


def key_created_days_ago(user: str, days: int) -> Any:
    key = create_user_key(CUSTOMER_ACCOUNT, user)
    found = find_access_key(key.access_key_id)
    assert found is not None
    found.create_date = datetime.now(UTC) - timedelta(days=days)
    return key


def age_seen(api, account_id: str) -> dict[str, Any]:
    """The credential age as the account, its health and the rotation list show it (all must agree)."""
    status, account = api("GET", f"/v1/accounts/{account_id}")
    assert status == 200, account
    status, health = api("GET", f"/v1/accounts/{account_id}/health")
    assert status == 200, health
    assert health["credential_age"] == account["credential_age"]
    due = {i["account_id"]: i["credential_age"] for i in api("GET", "/v1/credentials/rotation")[1]["items"]}
    state = account["credential_age"]["status"]
    if state == "ok":
        assert account_id not in due and health["warnings"] == []
    else:
        assert due[account_id] == account["credential_age"]
        assert any(state in warning for warning in health["warnings"])
    return dict(account["credential_age"])


def new_container(monkeypatch: pytest.MonkeyPatch, warn: int | None, rotate: int | None) -> None:
    """The functions' configuration changed: the next call reads it as a new container would."""
    for name, value in (("CREDENTIAL_WARN_DAYS", warn), ("CREDENTIAL_ROTATE_DAYS", rotate)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(value))
    reset_caches()


@pytest.mark.parametrize(
    ("warn", "rotate", "days", "expected", "by_default"),
    [
        (10, 20, 9, "ok", "ok"),
        (10, 20, 10, "warning", "ok"),
        (10, 20, 19, "warning", "ok"),
        (10, 20, 20, "rotate_now", "ok"),
        (100, 200, 95, "ok", "rotate_now"),
        (100, 200, 150, "warning", "rotate_now"),
        (30, 45, 50, "rotate_now", "ok"),
    ],
)
def test_the_age_status_follows_the_configured_thresholds(
    api, monkeypatch, warn, rotate, days, expected, by_default
):
    key = key_created_days_ago("aged-reader", days)
    status, account = api("POST", "/v1/accounts", access_key_body(key, name="aged"))
    assert status == 201, account
    assert (account["credential_age"]["status"], account["credential_age"]["age_days"]) == (by_default, days)

    new_container(monkeypatch, warn, rotate)
    age = age_seen(api, account["id"])
    assert (age["status"], age["age_days"]) == (expected, days)
    assert (age["warn_after_days"], age["rotate_after_days"]) == (warn, rotate)

    # A key connected under this configuration is judged by it from the start.
    other = key_created_days_ago("other-reader", days)
    status, connected = api("POST", "/v1/accounts", access_key_body(other, name="other"))
    assert status == 201, connected
    assert connected["credential_age"]["status"] == expected

    # And back to the defaults, the same accounts are judged by 60 and 90 days again.
    new_container(monkeypatch, None, None)
    age = age_seen(api, account["id"])
    assert (age["status"], age["warn_after_days"], age["rotate_after_days"]) == (by_default, 60, 90)
