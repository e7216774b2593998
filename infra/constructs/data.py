"""The single-table store of tenants, accounts and connection keys."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "ttl"


class AccountTable(Construct):
    """DynamoDB table (TableV2): on demand, point-in-time recovery, customer-managed encryption.

    Disconnected accounts carry a `ttl` so DynamoDB removes them once the retention period ends.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(key),
            time_to_live_attribute=TTL_ATTRIBUTE,
            # Tenants' connections live here: never let a stack deletion take them along.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
