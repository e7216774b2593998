"""The single-table store: tenants, accounts, connection keys, inventory, crawls and summaries."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "ttl"


def key_value_table(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    point_in_time_recovery: bool,
    **options: object,
) -> dynamodb.TableV2:
    """A `pk`/`sk` table, on demand, encrypted with `key`, kept when the stack goes (tenants' data)."""
    return dynamodb.TableV2(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
        billing=dynamodb.Billing.on_demand(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=point_in_time_recovery
        ),
        encryption=dynamodb.TableEncryptionV2.customer_managed_key(key),
        removal_policy=cdk.RemovalPolicy.RETAIN,
        **options,  # type: ignore[arg-type]
    )


def grant_read_write_items(table: dynamodb.ITableV2, function: lambda_.IFunction) -> None:
    """Let `function` read and write the table's items (and use its key for that, nothing more)."""
    table.grant_read_write_data(function)
    assert function.role is not None
    for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
        nag.wildcard_action(
            function.role,
            action,
            "Added by a table's read/write grant: DynamoDB encrypts items with the table's "
            "customer-managed key on the caller's behalf; the statement names that one key only.",
        )


class AccountTable(Construct):
    """DynamoDB table (TableV2): on demand, point-in-time recovery, customer-managed encryption.

    Disconnected accounts carry a `ttl` so DynamoDB removes them once the retention period ends; the
    stream (keys only) tells a function to purge what the account left behind.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        #: Where purge batches that keep failing wait (made with the purge's event source).
        self.purge_failures: sqs.Queue | None = None
        self.table = key_value_table(
            self,
            "Table",
            key=key,
            point_in_time_recovery=True,
            time_to_live_attribute=TTL_ATTRIBUTE,
            dynamo_stream=dynamodb.StreamViewType.KEYS_ONLY,
        )

    def on_aged_out_accounts(self, function: lambda_.IFunction) -> None:
        """Deliver to `function` only the removals of account items made by DynamoDB's TTL process."""
        # Batches that keep failing are parked here (with their stream positions) for a replay.
        self.purge_failures = failures = sqs.Queue(
            self,
            "PurgeFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        nag.acknowledge(
            failures,
            "AwsSolutions-SQS3",
            "This queue is itself the failure destination of the purge's event source mapping.",
        )
        nag.acknowledge(
            failures,
            "Serverless-SQSRedrivePolicy",
            "A failure destination, not a work queue: nothing consumes it, so there is nothing to redrive.",
        )
        function.add_event_source(
            event_sources.DynamoEventSource(
                self.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=10,
                report_batch_item_failures=False,
                on_failure=event_sources.SqsDlq(failures),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("REMOVE"),
                            "userIdentity": {
                                "type": lambda_.FilterRule.is_equal("Service"),
                                "principalId": lambda_.FilterRule.is_equal("dynamodb.amazonaws.com"),
                            },
                            "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("ACCOUNT#")}}},
                        }
                    )
                ],
            )
        )
