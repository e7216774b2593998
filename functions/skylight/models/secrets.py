"""Envelope-encrypted secrets as stored: ciphertext, the wrapped data key and what binds them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

ALGORITHM = "AES-256-GCM"


@dataclass(frozen=True)
class SecretScope:
    """Whose secret it is and what for: the KMS encryption context and the AES-GCM associated data.

    A ciphertext only opens under the scope it was sealed with, so a secret copied into another
    tenant's or account's item fails to decrypt.
    """

    tenant_id: str
    account_id: str
    purpose: str

    def encryption_context(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "account_id": self.account_id, "purpose": self.purpose}

    def associated_data(self, version: int) -> bytes:
        return json.dumps({**self.encryption_context(), "version": version}, sort_keys=True).encode()


@dataclass(frozen=True)
class SealedSecret:
    """One version of a secret, encrypted: nothing here is usable without a KMS Decrypt in its scope."""

    scope: SecretScope
    version: int
    ciphertext: bytes = field(repr=False)
    encrypted_data_key: bytes = field(repr=False)
    key_id: str
    nonce: bytes = field(repr=False)
    created_at: datetime
    algorithm: str = ALGORITHM
