"""The vault's data keys from AWS KMS: GenerateDataKey and Decrypt on the vault's own key."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NetworkError

from skylight.gateways.clients import FirstUseClient
from skylight.vault.keys import DataKey, DataKeyError

# KMS is busy or down: the same call may work shortly (any 5xx answer counts too).
RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "KMSInternalException", "KeyUnavailableException", "DependencyTimeoutException"}
)
# Two retries (at most ~3 s of backoff on throttling), then the caller answers retry_later well
# within the API's time limit: botocore's defaults back off for up to 15 s and wait 60 s to connect.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=5
)


class KmsDataKeys:
    """GenerateDataKey / Decrypt on the vault's KMS key."""

    def __init__(self, key_id: str, region: str, client: Any = None) -> None:
        self._key_id = key_id
        self._region = region
        self._client = client

    client = FirstUseClient("kms", config=_CLIENT_CONFIG)

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
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        raise DataKeyError(code, retryable=code in RETRYABLE_CODES or status >= 500) from None
    except (NetworkError, HTTPClientError) as error:
        raise DataKeyError(type(error).__name__, retryable=True) from None
    except BotoCoreError as error:
        raise DataKeyError(type(error).__name__) from None
