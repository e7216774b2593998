"""The customer-managed key that encrypts the table, every log group and the functions' environment."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

KEY_ALIAS = "alias/skylight"
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class PlatformKey(Construct):
    """A rotating KMS key, usable by DynamoDB (through grants) and by CloudWatch Logs in this account."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            alias=KEY_ALIAS,
            description="Skylight: encrypts the account table, the log groups and the functions' environment",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts with the key itself; the encryption context pins it to this
        # account's log groups so the key can't be used for anyone else's.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )

    def log_group(self, scope: Construct, construct_id: str) -> logs.LogGroup:
        """A log group encrypted with this key, with a bounded retention."""
        return logs.LogGroup(
            scope,
            construct_id,
            encryption_key=self.key,
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
