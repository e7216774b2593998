"""The cursor signing key from AWS KMS: GenerateMac of a fixed label with the deployment's HMAC key.

The KMS key (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC) never leaves KMS; its MAC of the label
is deterministic, so every container derives the same 32-byte local key with one call, and a cursor
one container issued verifies in any other. The derived key is returned to the caller to cache in
memory; it is never logged and never stored.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from skylight.dal.cursors import CursorKeyError
from skylight.gateways.clients import FirstUseClient

#: What the KMS key MACs to give the cursor signing key; a new label is a new key (all cursors expire).
LABEL = b"skylight/cursor-signing/v1"
MAC_ALGORITHM = "HMAC_SHA_256"


class KmsCursorKey:
    """GenerateMac on the cursor key (its id, ARN or alias), over `LABEL`."""

    def __init__(self, key_id: str, region: str, client: Any = None) -> None:
        self._key_id = key_id
        self._region = region
        self._client = client

    client = FirstUseClient("kms")

    def signing_key(self) -> bytes:
        if not self._key_id:
            raise CursorKeyError("CursorKeyNotConfigured")
        try:
            response = self.client.generate_mac(Message=LABEL, KeyId=self._key_id, MacAlgorithm=MAC_ALGORITHM)
        except ClientError as error:
            raise CursorKeyError(str(error.response.get("Error", {}).get("Code", "Unknown"))) from None
        except BotoCoreError as error:
            raise CursorKeyError(type(error).__name__) from None
        return bytes(response["Mac"])
