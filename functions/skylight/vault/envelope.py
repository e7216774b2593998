"""Envelope encryption: AES-256-GCM locally with a fresh KMS data key per secret version.

Stored: ciphertext, the KMS-wrapped data key, the key id, the nonce and metadata. Never stored: the
plaintext or the plaintext data key, which are zeroed as soon as the cipher is done with them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from skylight.models.errors import CredentialsUnavailable, RetryLater
from skylight.models.secrets import ALGORITHM, SealedSecret, SecretScope
from skylight.vault.keys import DataKeyError, DataKeySource, wipe

logger = Logger(child=True)

NONCE_BYTES = 12  # 96 bits, as GCM recommends
NOT_OPENED = "the stored credentials could not be opened"


class KeyServiceBusy(RetryLater, CredentialsUnavailable):
    """KMS was throttled or unavailable while opening a secret: a 503 retry_later for clients.

    Still a CredentialsUnavailable, so that code which carries on without the credentials (a crawl
    marks the region unreachable) does so as for any secret that cannot be opened right now.
    """


class SecretReader(Protocol):
    def get(self, tenant_id: str, account_id: str) -> SealedSecret | None:
        """The account's current sealed secret, if it has one."""
        ...


class Vault:
    """Seals and opens secrets; opening is only ever for the duration of a `with` block."""

    def __init__(self, keys: DataKeySource, store: SecretReader) -> None:
        self._keys = keys
        self._store = store

    def seal(
        self, scope: SecretScope, plaintext: bytes | bytearray, version: int, now: datetime
    ) -> SealedSecret:
        """Encrypt one version of a secret under a data key of its own.

        Raises (RetryLater when KMS is busy or down, else CredentialsUnavailable) before anything is
        stored: callers seal first and store after.
        """
        try:
            key = self._keys.generate(scope.encryption_context())
        except DataKeyError as error:
            logger.warning("KMS did not give a data key", extra={"kms_error_code": error.code})
            if error.retryable:
                raise RetryLater(
                    "the key service that encrypts stored credentials is busy or unavailable; nothing "
                    "was stored, try again shortly"
                ) from None
            raise CredentialsUnavailable(
                "the credentials could not be encrypted for storage; nothing was stored"
            ) from None
        try:
            nonce = os.urandom(NONCE_BYTES)
            ciphertext = AESGCM(key.plaintext).encrypt(nonce, plaintext, scope.associated_data(version))
        finally:
            key.wipe()
        return SealedSecret(
            scope=scope,
            version=version,
            ciphertext=ciphertext,
            encrypted_data_key=key.encrypted,
            key_id=key.key_id,
            nonce=nonce,
            created_at=now,
        )

    @contextmanager
    def open(self, sealed: SealedSecret, scope: SecretScope) -> Iterator[bytearray]:
        """The plaintext, zeroed when the block ends. `scope` is where the caller expects it to belong."""
        if sealed.algorithm != ALGORITHM:
            raise CredentialsUnavailable(NOT_OPENED)
        try:
            data_key = self._keys.decrypt(sealed.encrypted_data_key, scope.encryption_context())
        except DataKeyError as error:
            logger.warning("KMS did not unwrap a data key", extra={"kms_error_code": error.code})
            if error.retryable:
                raise KeyServiceBusy(
                    "the key service that decrypts stored credentials is busy or unavailable; nothing "
                    "changed, try again shortly"
                ) from None
            # Never more than this: a wrong scope, a forged item and a revoked grant all look alike.
            raise CredentialsUnavailable(NOT_OPENED) from None
        try:
            plaintext = bytearray(
                AESGCM(data_key).decrypt(
                    sealed.nonce, sealed.ciphertext, scope.associated_data(sealed.version)
                )
            )
        except InvalidTag:
            raise CredentialsUnavailable(NOT_OPENED) from None
        finally:
            wipe(data_key)
        try:
            yield plaintext
        finally:
            wipe(plaintext)

    @contextmanager
    def open_stored(self, scope: SecretScope) -> Iterator[bytearray]:
        """Read the account's sealed secret and open it for the duration of the block."""
        sealed = self._store.get(scope.tenant_id, scope.account_id)
        if sealed is None or sealed.scope.purpose != scope.purpose:
            raise CredentialsUnavailable("the account has no stored credentials")
        with self.open(sealed, scope) as plaintext:
            yield plaintext
