"""The HMAC KMS key behind pagination cursors: the API derives its cursor signing key from it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.constructs import key_policy

CURSOR_KEY_ALIAS = "alias/skylight-cursors"
MAC_ALGORITHM = "HMAC_SHA_256"
#: The environment variable that names the key, set only on the functions granted its use.
ENVIRONMENT_VARIABLE = "CURSOR_KEY_ID"


class CursorKey(Construct):
    """An HMAC_256 key used for GENERATE_VERIFY_MAC only. Each API container calls GenerateMac once, over
    a fixed label, and signs cursors locally with the result; no other function may use the key (its
    key policy names the roles granted `grant_sign`, and the account only administers it)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=CURSOR_KEY_ALIAS,
            description="Skylight: derives the key that signs pagination cursors (GenerateMac)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            # Losing the key only invalidates the cursors in flight (clients start their listing again).
            removal_policy=cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(7),
            # The account administers the key; only the roles granted `grant_sign` may use it.
            policy=key_policy.administered_key_policy(),
        )
        no_rotation = (
            "KMS cannot rotate HMAC keys (automatic rotation is for symmetric encryption keys only). The "
            "key only signs short-lived pagination cursors: rotating means a new key and a new derivation "
            "label, and costs clients nothing but restarting a listing."
        )
        nag.acknowledge(self.key, "AwsSolutions-KMS5", no_rotation)
        nag.acknowledge_checkov(self.key, "CKV_AWS_7", no_rotation)

    def grant_sign(self, function: lambda_.Function) -> None:
        """Let `function` derive the cursor signing key: GenerateMac with HMAC_SHA_256 on this key only."""
        key_policy.grant(
            self.key,
            function,
            "kms:GenerateMac",
            conditions={"StringEquals": {"kms:MacAlgorithm": MAC_ALGORITHM}},
        )
        function.add_environment(ENVIRONMENT_VARIABLE, self.key.key_arn)
