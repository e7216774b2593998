"""The vault's data keys from AWS KMS: GenerateDataKey and Decrypt on the vault's own key."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from skylight.gateways.sessions import shared_client
from skylight.vault.keys import DataKey, DataKeyError


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
