"""Data keys behind an interface: a fresh 256-bit key per secret version, wrapped by KMS (`kms.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class DataKeyError(Exception):
    """KMS refused or failed; carries KMS's error code only (never key material).

    `retryable`: KMS was throttled or unavailable, or the network did not answer; trying again
    shortly may work, and nothing is wrong with the key or the secret.
    """

    def __init__(self, code: str, retryable: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


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
