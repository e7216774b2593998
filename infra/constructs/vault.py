"""The vault's own KMS key: it wraps the data key of every stored secret, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

VAULT_KEY_ALIAS = "alias/skylight-vault"
#: Every purpose a secret may be stored for (the `purpose` of its KMS encryption context).
PURPOSES: tuple[str, ...] = ("aws_access_key",)
#: The encryption context every vault call must carry: whose secret, which account, what for.
CONTEXT_KEYS = ("tenant_id", "account_id", "purpose")


class SecretVault(Construct):
    """A rotating KMS key of its own, separate from the table's, so that reading the table (or holding
    the table key) never opens a secret. Grants are per function and per purpose, and every call must
    carry the full encryption context."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=VAULT_KEY_ALIAS,
            description="Skylight vault: wraps the data keys of stored customer credentials",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def grant_encrypt(self, function: lambda_.Function, purposes: Sequence[str] = PURPOSES) -> None:
        """Let `function` seal new secrets of these purposes (GenerateDataKey only; it cannot unwrap)."""
        self._grant(function, "kms:GenerateDataKey", purposes)

    def grant_decrypt(self, function: lambda_.Function, purposes: Sequence[str] = PURPOSES) -> None:
        """Let `function` open secrets of these purposes, for the duration of the call that needs them."""
        self._grant(function, "kms:Decrypt", purposes)

    def _grant(self, function: lambda_.Function, action: str, purposes: Sequence[str]) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[action],
                resources=[self.key.key_arn],
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
        )
        function.add_environment("VAULT_KEY_ID", self.key.key_arn)
