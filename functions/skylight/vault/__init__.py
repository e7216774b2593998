"""The provider-neutral vault: KMS envelope encryption of every secret Skylight stores."""

from __future__ import annotations

from functools import lru_cache

from skylight.config import get_settings
from skylight.vault.envelope import Vault


@lru_cache(maxsize=1)
def default_vault() -> Vault:
    """The deployment's vault: its KMS key and the table's secret items (created lazily, no calls yet)."""
    from skylight.dal.dynamodb import DynamoSecretRepository
    from skylight.vault.kms import KmsDataKeys

    settings = get_settings()
    return Vault(
        KmsDataKeys(settings.vault_key_id, settings.region),
        DynamoSecretRepository(settings.table_name, settings.region, settings.secret_table),
    )
