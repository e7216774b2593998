"""Secrets the emulated AWS handed out during a test, so that tests can search for them everywhere
Skylight writes: STS session credentials (of customer roles and of the platform principal) and the
plaintext data keys KMS generated or decrypted for the vault.

Recorded at the boundary (moto's backends), never inside Skylight's own code.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.kms.models import KmsBackend
from moto.sts.models import sts_backends


def sts_session_secrets() -> list[str]:
    """The secret key and session token of every session the emulator's STS issued so far."""
    found: list[str] = []
    for _, by_partition in sts_backends.items():
        for _, backend in by_partition.items():
            for session in backend.assumed_roles:
                found += [session.secret_access_key, session.session_token]
    return [secret for secret in found if secret]


def spellings(value: bytes) -> list[str]:
    """How bytes may show in text: base64 (JSON bodies), hex, Python's repr (`%r` of bytes)."""
    return [base64.b64encode(value).decode(), value.hex(), repr(value)[2:-1]]


class DataKeys:
    """Plaintext data keys the emulated KMS handed out (GenerateDataKey, Decrypt) while recording."""

    def __init__(self) -> None:
        self.plaintexts: list[bytes] = []
        self._lock = threading.Lock()

    def add(self, plaintext: bytes) -> None:
        with self._lock:
            self.plaintexts.append(bytes(plaintext))

    def spelled(self) -> list[str]:
        return [text for key in self.plaintexts for text in spellings(key)]


@contextmanager
def recorded_data_keys() -> Iterator[DataKeys]:
    """Record every plaintext data key the emulated KMS gives out meanwhile."""
    keys = DataKeys()
    generate, decrypt = KmsBackend.generate_data_key, KmsBackend.decrypt

    def generating(backend: KmsBackend, *args: Any, **kwargs: Any) -> Any:
        plaintext, *rest = generate(backend, *args, **kwargs)
        keys.add(plaintext)
        return (plaintext, *rest)

    def decrypting(backend: KmsBackend, *args: Any, **kwargs: Any) -> Any:
        plaintext, *rest = decrypt(backend, *args, **kwargs)
        keys.add(plaintext)
        return (plaintext, *rest)

    KmsBackend.generate_data_key = generating  # type: ignore[method-assign]
    KmsBackend.decrypt = decrypting  # type: ignore[method-assign]
    try:
        yield keys
    finally:
        KmsBackend.generate_data_key = generate  # type: ignore[method-assign]
        KmsBackend.decrypt = decrypt  # type: ignore[method-assign]


def leaks(needles: dict[str, list[str]], haystacks: dict[str, str]) -> list[tuple[str, str]]:
    """(what, where) for every needle found in a haystack."""
    return [
        (what, where)
        for what, texts in needles.items()
        for text in texts
        for where, haystack in haystacks.items()
        if text and text in haystack
    ]
