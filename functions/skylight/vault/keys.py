"""Data keys from KMS behind an interface: a fresh 256-bit key per secret version, wrapped by KMS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from skylight.gateways.sessions import shared_client


class DataKeyError(Exception):
    """KMS refused or failed; carries KMS's error code only (never key material)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class DataKey:
    """A plaintext data key (a bytearray, so it can be zeroed) and the same key wrapped by KMS."""

    plaintext: bytearray = field(repr=False)
    encrypted: bytes = field(repr=False)
    key_id: str

    def wipe(self) -> None:
        wipe(self.plaintext)


def wipe(buffer: bytearray) -> None:
    """Overwrite a buffer that held key material or a secret."""
    buffer[:] = bytes(len(buffer))


class DataKeySource(Protocol):
    def generate(self, context: dict[str, str]) -> DataKey:
        """A new data key bound to `context` (KMS encryption context)."""
        ...

    def decrypt(self, encrypted: bytes, context: dict[str, str]) -> bytearray:
        """Unwrap a data key; fails unless `context` is exactly the one it was generated with."""
        ...


class KmsDataKeys:
    """GenerateDataKey / Decrypt on the vault's KMS key."""

    def __init__(self, key_id: str, region: str, client: Any = None) -> None:
        self._key_id = key_id
        self._region = region
        self._client = client

    @property
    def client(self) -> Any:
        # Created on first use: functions that never touch the vault pay nothing for it.
        if self._client is None:
            self._client = shared_client("kms", region_name=self._region)
        return self._client

    def generate(self, context: dict[str, str]) -> DataKey:
        response = _call(
            self.client.generate_data_key, KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context
        )
        return DataKey(bytearray(response["Plaintext"]), response["CiphertextBlob"], response["KeyId"])

    def decrypt(self, encrypted: bytes, context: dict[str, str]) -> bytearray:
        # KeyId pins the vault key: a blob wrapped by any other key is refused, not silently accepted.
        response = _call(
            self.client.decrypt, CiphertextBlob=encrypted, EncryptionContext=context, KeyId=self._key_id
        )
        return bytearray(response["Plaintext"])


def _call(operation: Any, **arguments: Any) -> Any:
    try:
        return operation(**arguments)
    except ClientError as error:
        raise DataKeyError(str(error.response.get("Error", {}).get("Code", "Unknown"))) from None
    except BotoCoreError as error:
        raise DataKeyError(type(error).__name__) from None
