"""The vault: its own KMS key, which wraps the data key of every stored secret and nothing else, and
the table of sealed secrets, which no backup outlives."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.constructs import key_policy
from infra.constructs.data import grant_read_write_items, key_value_table

VAULT_KEY_ALIAS = "alias/skylight-vault"
#: Every purpose a secret may be stored for (the `purpose` of its KMS encryption context).
PURPOSES: tuple[str, ...] = ("aws_access_key",)
#: The encryption context every vault call must carry: whose secret, which account, what for.
CONTEXT_KEYS = ("tenant_id", "account_id", "purpose")


class SecretVault(Construct):
    """A rotating KMS key of its own, separate from the table's, so that reading the table (or holding
    the table key) never opens a secret. Grants are per function and per purpose, and every call must
    carry the full encryption context. The key policy names each granted role: the account
    administers the key but no other identity may use it.

    Sealed secrets live in a table of their own WITHOUT point-in-time recovery: a secret destroyed at
    disconnect (crypto-shredding: ciphertext and wrapped data key deleted) must not come back from a
    35-day restore window. Only the functions granted the key may read the table, only the API writes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, table_key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=VAULT_KEY_ALIAS,
            description="Skylight vault: wraps the data keys of stored customer credentials",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            # The account administers the key; only the roles granted below may use it.
            policy=key_policy.administered_key_policy(),
        )
        self.table = key_value_table(self, "Secrets", key=table_key, point_in_time_recovery=False)
        nag.acknowledge_checkov(
            self.table,
            "CKV_AWS_165",
            "Deliberately without point-in-time recovery: a secret destroyed at disconnect "
            "(crypto-shredding) must not come back from a 35-day restore window.",
        )

    def grant_encrypt(self, function: lambda_.Function, purposes: Sequence[str] = PURPOSES) -> None:
        """Let `function` seal new secrets of these purposes (GenerateDataKey only; it cannot unwrap) and
        store, replace and destroy sealed secrets."""
        self._grant(function, "kms:GenerateDataKey", purposes)
        grant_read_write_items(self.table, function)

    def grant_decrypt(self, function: lambda_.Function, purposes: Sequence[str] = PURPOSES) -> None:
        """Let `function` open secrets of these purposes, for the duration of the call that needs them."""
        self._grant(function, "kms:Decrypt", purposes)
        self.table.grant_read_data(function)

    def _grant(self, function: lambda_.Function, action: str, purposes: Sequence[str]) -> None:
        # In the role's policy and in the key policy, with the same conditions.
        key_policy.grant(
            self.key,
            function,
            action,
            conditions={
                "StringEquals": {"kms:EncryptionContext:purpose": list(purposes)},
                # The context must name tenant and account too, and nothing else.
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": list(CONTEXT_KEYS)},
                "Null": {
                    "kms:EncryptionContext:tenant_id": "false",
                    "kms:EncryptionContext:account_id": "false",
                },
            },
        )
        function.add_environment("VAULT_KEY_ID", self.key.key_arn)
        function.add_environment("SECRETS_TABLE_NAME", self.table.table_name)
