"""`python -m local.bench.vault`: what sealing and opening a stored secret costs.

The production vault (`skylight.vault.envelope.Vault` with `KmsDataKeys`) against the embedded
emulator's KMS over HTTP: each seal is one GenerateDataKey plus AES-256-GCM, each open one Decrypt
plus AES-256-GCM. Prints a table, then one JSON object as the last line. KMS latency in AWS is a few
milliseconds more than the emulator's; the local cipher work is what the figures isolate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

SECRET = b'{"access_key_id": "AKIAEXAMPLEEXAMPLE00", "secret_access_key": "' + b"x" * 40 + b'"}'


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(runs: int) -> dict[str, Any]:
    from local.emulator.server import start_emulator
    from skylight.models.secrets import SecretScope
    from skylight.vault.envelope import Vault
    from skylight.vault.kms import KmsDataKeys

    emulator = start_emulator(port=0)
    try:
        kms = emulator.client("kms")
        key_id = kms.create_key(Description="vault benchmark")["KeyMetadata"]["KeyId"]
        vault = Vault(KmsDataKeys(key_id, "us-east-1", client=kms), store=_NoStore())
        scope = SecretScope(tenant_id="tenant-a", account_id="account-1", purpose="aws_access_key")
        seal_ms, open_ms = [], []
        for version in range(1, runs + 1):
            started = time.perf_counter()
            sealed = vault.seal(scope, SECRET, version, datetime.now(UTC))
            seal_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with vault.open(sealed, scope) as plaintext:
                assert bytes(plaintext) == SECRET
            open_ms.append((time.perf_counter() - started) * 1000)
        cipher_us = _cipher_only_us(runs)
    finally:
        emulator.stop()
    return {
        "runs": runs,
        "seal_median_ms": round(statistics.median(seal_ms), 2),
        "seal_p95_ms": round(_percentile(seal_ms, 0.95), 2),
        "open_median_ms": round(statistics.median(open_ms), 2),
        "open_p95_ms": round(_percentile(open_ms, 0.95), 2),
        "aes_gcm_us": round(cipher_us, 1),
    }


def _cipher_only_us(runs: int) -> float:
    """AES-256-GCM encrypt and decrypt of the secret alone, without KMS."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher, nonce = AESGCM(os.urandom(32)), os.urandom(12)
    started = time.perf_counter()
    for _ in range(runs):
        cipher.decrypt(nonce, cipher.encrypt(nonce, SECRET, b"scope"), b"scope")
    return (time.perf_counter() - started) / runs * 1_000_000


class _NoStore:
    def get(self, tenant_id: str, account_id: str) -> None:
        return None


def main() -> None:
    from infra.config import FUNCTIONS_DIR

    # Run from the repository like `make demo`: the functions' package is imported from source.
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    parser = argparse.ArgumentParser(prog="python -m local.bench.vault", description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    figures = measure(parser.parse_args().runs)
    print(f"{'operation':<12}{'median ms':>12}{'p95 ms':>10}")
    print(f"{'seal':<12}{figures['seal_median_ms']:>12}{figures['seal_p95_ms']:>10}")
    print(f"{'open':<12}{figures['open_median_ms']:>12}{figures['open_p95_ms']:>10}")
    print(f"AES-256-GCM alone (encrypt + decrypt): {figures['aes_gcm_us']} µs")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
