"""The vault: envelope encryption bound to tenant, account and purpose; a secret opens nowhere else."""

from datetime import UTC, datetime

import pytest

from skylight.dal.dynamodb import SECRET_PREFIX, SecretItem, tenant_pk
from skylight.models.errors import CredentialsUnavailable
from skylight.models.secrets import SealedSecret, SecretScope
from skylight.vault import default_vault
from tests.integration.conftest import aws_provider, stored_account
from tests.support import CUSTOMER_ACCOUNT, OTHER_CUSTOMER_ACCOUNT, access_key_body, create_user_key

SCOPE = SecretScope(tenant_id="tenant-a", account_id="acct-1", purpose="aws_access_key")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def opened(sealed: SealedSecret, scope: SecretScope = SCOPE) -> bytes:
    with default_vault().open(sealed, scope) as plaintext:
        return bytes(plaintext)


def test_a_sealed_secret_opens_in_its_own_scope_and_the_buffer_is_wiped_after(aws):
    sealed = default_vault().seal(SCOPE, b"top secret", version=1, now=NOW)
    assert b"top secret" not in sealed.ciphertext + sealed.encrypted_data_key
    assert len(sealed.nonce) == 12
    with default_vault().open(sealed, SCOPE) as plaintext:
        assert bytes(plaintext) == b"top secret"
    assert plaintext == bytearray(len(b"top secret"))  # zeroed once the block ended


def test_every_version_gets_a_fresh_data_key_and_nonce(aws):
    first = default_vault().seal(SCOPE, b"same", version=1, now=NOW)
    second = default_vault().seal(SCOPE, b"same", version=2, now=NOW)
    assert first.encrypted_data_key != second.encrypted_data_key
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext


@pytest.mark.parametrize(
    "other",
    [
        SecretScope(tenant_id="tenant-b", account_id="acct-1", purpose="aws_access_key"),
        SecretScope(tenant_id="tenant-a", account_id="acct-2", purpose="aws_access_key"),
        SecretScope(tenant_id="tenant-a", account_id="acct-1", purpose="gcp_service_account_key"),
    ],
)
def test_a_secret_does_not_open_in_another_tenant_account_or_purpose(aws, other):
    sealed = default_vault().seal(SCOPE, b"top secret", version=1, now=NOW)
    with pytest.raises(CredentialsUnavailable) as error:
        opened(sealed, other)
    assert "top secret" not in str(error.value.body())


def test_tampering_with_the_ciphertext_or_its_version_is_detected(aws):
    sealed = default_vault().seal(SCOPE, b"top secret", version=1, now=NOW)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    for forged in (
        SealedSecret(**{**sealed.__dict__, "ciphertext": flipped}),
        SealedSecret(**{**sealed.__dict__, "version": 2}),
    ):
        with pytest.raises(CredentialsUnavailable):
            opened(forged)


def test_ciphertext_copied_into_another_tenants_item_fails_to_decrypt(api):
    key_a = create_user_key(CUSTOMER_ACCOUNT, "reader-a")
    key_b = create_user_key(OTHER_CUSTOMER_ACCOUNT, "reader-b")
    account_a = api("POST", "/v1/accounts", access_key_body(key_a))[1]
    account_b = api("POST", "/v1/accounts", access_key_body(key_b), tenant="tenant-b")[1]

    # A's sealed secret, copied byte for byte over B's item.
    item_a = SecretItem.get(tenant_pk("tenant-a"), SECRET_PREFIX + account_a["id"])
    item_b = SecretItem.get(tenant_pk("tenant-b"), SECRET_PREFIX + account_b["id"])
    for name in ("ciphertext", "encrypted_data_key", "nonce", "key_id", "secret_version"):
        setattr(item_b, name, getattr(item_a, name))
    item_b.save()

    from skylight.handlers.dependencies import services
    from skylight.logic.tenants import tenant_context

    domain_b = stored_account(account_b["id"], tenant="tenant-b")
    with pytest.raises(CredentialsUnavailable):
        aws_provider().account_credentials(domain_b, tenant_context(services(), "tenant-b", "aws"))
    # A's own secret still opens for A.
    domain_a = stored_account(account_a["id"])
    credentials = aws_provider().account_credentials(domain_a, tenant_context(services(), "tenant-a", "aws"))
    assert credentials.access_key_id == key_a.access_key_id
