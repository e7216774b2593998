"""What a platform team watches: alarms on one SNS topic, and one dashboard.

Skylight's own metrics come from the catalogue (`skylight.models.metrics`), per provider where they
are by provider; the rest are AWS's metrics of the API, the functions, the state machine, the table
and the purge's failure queue. Every alarm says what it means and links its runbook section
(docs/operations.md); thresholds are deployment settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import nag
from infra.config import SkylightSettings
from skylight.models import metrics as catalogue
from skylight.providers.base import provider_names

RUNBOOK = "docs/operations.md"
FIVE_MINUTES = cdk.Duration.minutes(5)
# A function whose longest run in five minutes came this close to its timeout is about to time out.
NEAR_TIMEOUT = 0.8


@dataclass(frozen=True)
class Watched:
    """What the alarms and the dashboard look at."""

    http_api: apigwv2.HttpApi
    functions: Sequence[lambda_.Function]
    state_machine: sfn.StateMachine
    table: dynamodb.ITableV2
    purge_failures: sqs.IQueue


def skylight_metric(
    spec: catalogue.MetricSpec, statistic: str = "Sum", period: cdk.Duration = FIVE_MINUTES, **dimensions: str
) -> cloudwatch.Metric:
    """A metric of the catalogue, with a value for each of its dimensions (no more, no fewer)."""
    if set(dimensions) != set(spec.dimensions):
        raise ValueError(f"{spec.name} takes the dimensions {spec.dimensions}")
    return cloudwatch.Metric(
        namespace=catalogue.NAMESPACE,
        metric_name=spec.name,
        dimensions_map=dimensions or None,
        statistic=statistic,
        period=period,
    )


class Operations(Construct):
    """The alarm topic (output as `AlarmTopicArn`), the alarms and the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: SkylightSettings,
        watched: Watched,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = settings
        self._watched = watched
        self.topic = sns.Topic(
            self, "Alarms", display_name="Skylight alarms", master_key=key, enforce_ssl=True
        )
        # CloudWatch publishes to the encrypted topic: it needs the key, for this account's alarms only.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToNotify",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        if settings.alarm_email:
            email = sns.Subscription(
                self,
                "AlarmEmail",
                topic=self.topic,
                endpoint=settings.alarm_email,
                protocol=sns.SubscriptionProtocol.EMAIL,
            )
            nag.acknowledge(
                email,
                "Serverless-SNSRedrivePolicy",
                "An email subscription: a notification an address did not take is no work to redrive, and "
                "every alarm's state and history stay in CloudWatch.",
            )
        self.alarms: list[cloudwatch.Alarm] = []
        self._api_alarms()
        self._function_alarms()
        self._workflow_alarms()
        self._data_alarms()
        self._crawl_alarms()
        self.dashboard = self._dashboard()
        cdk.CfnOutput(
            scope,
            "AlarmTopicArn",
            value=self.topic.topic_arn,
            description="Skylight's alarms notify this topic",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        meaning: str,
        section: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{meaning} Runbook: {RUNBOOK}#{section}",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def _api_alarms(self) -> None:
        api = self._watched.http_api
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={
                "errors": api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                "requests": api.metric_count(period=FIVE_MINUTES, statistic="Sum"),
            },
            label="API 5xx (% of requests)",
            period=FIVE_MINUTES,
        )
        self._alarm(
            "ApiErrorRate",
            error_rate,
            self._settings.api_error_rate_percent,
            f"At least {self._settings.api_error_rate_percent}% of the API's requests in 5 minutes failed on "
            "Skylight's side (5xx).",
            "api-errors",
        )
        self._alarm(
            "ApiLatencyP99",
            api.metric_latency(period=FIVE_MINUTES, statistic="p99"),
            self._settings.api_p99_latency_ms,
            f"The API's p99 latency over 5 minutes reached {self._settings.api_p99_latency_ms} ms.",
            "api-latency",
            evaluation_periods=3,
        )

    def _function_alarms(self) -> None:
        for function in self._watched.functions:
            name = function.node.id
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                1,
                f"The {name} function raised errors: its invocations failed (not a customer's error).",
                "function-errors",
            )
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                1,
                f"The {name} function was throttled: its reserved concurrency was all in use.",
                "function-throttles",
            )
            timeout = function.timeout.to_milliseconds() if function.timeout else 3000
            self._alarm(
                f"{name}NearTimeout",
                function.metric_duration(period=FIVE_MINUTES, statistic="Maximum"),
                round(timeout * NEAR_TIMEOUT),
                f"A run of the {name} function took {int(NEAR_TIMEOUT * 100)}% of its timeout or more.",
                "function-near-timeout",
            )

    def _workflow_alarms(self) -> None:
        machine = self._watched.state_machine
        for construct_id, metric, what in (
            ("WorkflowFailed", machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"), "failed"),
            ("WorkflowTimedOut", machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"), "timed out"),
            ("WorkflowAborted", machine.metric_aborted(period=FIVE_MINUTES, statistic="Sum"), "was aborted"),
        ):
            self._alarm(
                construct_id,
                metric,
                1,
                f"An account workflow execution {what} (a crawl that ends partial does not: it succeeds).",
                "workflow-executions",
            )

    def _data_alarms(self) -> None:
        queue = self._watched.purge_failures
        self._alarm(
            "PurgeFailuresWaiting",
            queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
            1,
            "Purging an aged-out account's data kept failing: its stream records wait in the "
            "PurgeFailures queue.",
            "purge-failures",
        )
        table = self._watched.table
        throttles = cloudwatch.MathExpression(
            expression="reads + writes",
            using_metrics={
                "reads": self._table_metric(table, "ReadThrottleEvents"),
                "writes": self._table_metric(table, "WriteThrottleEvents"),
            },
            label="DynamoDB throttle events",
            period=FIVE_MINUTES,
        )
        self._alarm(
            "TableThrottles",
            throttles,
            1,
            "DynamoDB throttled requests to the account table.",
            "table-throttles-and-errors",
        )
        system_errors = table.metric_system_errors_for_operations(
            operations=[
                dynamodb.Operation.GET_ITEM,
                dynamodb.Operation.PUT_ITEM,
                dynamodb.Operation.UPDATE_ITEM,
                dynamodb.Operation.QUERY,
                dynamodb.Operation.BATCH_WRITE_ITEM,
                dynamodb.Operation.TRANSACT_WRITE_ITEMS,
            ],
            period=FIVE_MINUTES,
        )
        self._alarm(
            "TableSystemErrors",
            system_errors,
            1,
            "DynamoDB answered 500s to the account table's requests.",
            "table-throttles-and-errors",
        )

    @staticmethod
    def _table_metric(table: dynamodb.ITableV2, name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/DynamoDB",
            metric_name=name,
            dimensions_map={"TableName": table.table_name},
            statistic="Sum",
            period=FIVE_MINUTES,
        )

    def _crawl_alarms(self) -> None:
        hour = cdk.Duration.hours(1)
        for provider in sorted(provider_names()):
            title = provider.upper()
            share = cloudwatch.MathExpression(
                expression=(
                    "IF(failed + partial + succeeded > 0, "
                    "100 * (failed + partial) / (failed + partial + succeeded), 0)"
                ),
                using_metrics={
                    status: skylight_metric(catalogue.CRAWLS, period=hour, provider=provider, status=status)
                    for status in ("failed", "partial", "succeeded")
                },
                label=f"{title} crawls failed or partial (%)",
                period=hour,
            )
            self._alarm(
                f"{title.capitalize()}CrawlFailures",
                share,
                self._settings.crawl_failure_percent,
                f"At least {self._settings.crawl_failure_percent}% of an hour's {title} crawls failed or "
                "ended partial.",
                "crawl-failures",
            )
            self._alarm(
                f"{title.capitalize()}RetryLater",
                skylight_metric(
                    catalogue.VALIDATIONS,
                    period=cdk.Duration.minutes(15),
                    provider=provider,
                    outcome="retry_later",
                ),
                self._settings.retry_later_validations,
                f"{self._settings.retry_later_validations} or more {title} validations in 15 minutes were "
                "answered retry_later: the cloud throttles or is failing, or the platform's own quota "
                "is reached.",
                "retry-later",
            )

    def _dashboard(self) -> cloudwatch.Dashboard:
        api, machine = self._watched.http_api, self._watched.state_machine
        providers = sorted(provider_names())

        def by_provider(
            spec: catalogue.MetricSpec, statistic: str = "Sum", **others: str
        ) -> list[cloudwatch.IMetric]:
            return [
                skylight_metric(spec, statistic, FIVE_MINUTES, provider=provider, **others)
                for provider in providers
            ]

        def graph(
            title: str, metrics: Sequence[cloudwatch.IMetric], width: int = 8
        ) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)

        hour = cdk.Duration.hours(1)
        crawl_statuses = [
            skylight_metric(catalogue.CRAWLS, period=hour, provider=provider, status=status)
            for provider in providers
            for status in ("succeeded", "partial", "failed")
        ]
        outcomes = ("connected", "access_denied", "insecure_trust_policy", "permission_denied", "retry_later")
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{cdk.Stack.of(self).stack_name}-operations"
        )
        dashboard.add_widgets(
            graph(
                "API requests and 5xx",
                [api.metric_count(statistic="Sum"), api.metric_server_error(statistic="Sum")],
            ),
            graph(
                "API latency p50 / p99",
                [api.metric_latency(statistic="p50"), api.metric_latency(statistic="p99")],
            ),
            graph(
                "API refusals by code",
                [
                    skylight_metric(catalogue.API_REFUSALS, code=code)
                    for code in (*outcomes[1:], "invalid_request", "rate_limited", "not_found")
                ],
            ),
        )
        dashboard.add_widgets(
            graph("Crawls an hour by status", crawl_statuses),
            graph(
                "Crawl duration p50 / p95",
                [
                    *by_provider(catalogue.CRAWL_DURATION, "p50"),
                    *by_provider(catalogue.CRAWL_DURATION, "p95"),
                ],
            ),
            graph(
                "Resources listed and items written",
                [*by_provider(catalogue.RESOURCES_LISTED), *by_provider(catalogue.ITEM_WRITES)],
            ),
        )
        services = ("ec2", "rds", "s3", "lambda", "dynamodb", "ecs", "eks", "elbv2", "autoscaling", "tag")
        dashboard.add_widgets(
            graph(
                "Provider calls",
                [skylight_metric(catalogue.PROVIDER_CALLS, provider="aws", service=s) for s in services],
            ),
            graph(
                "Throttles by provider and service",
                [skylight_metric(catalogue.PROVIDER_THROTTLES, provider="aws", service=s) for s in services],
            ),
            graph(
                "Listing errors and stale segments",
                [
                    *[skylight_metric(catalogue.LISTING_ERRORS, provider="aws", service=s) for s in services],
                    *by_provider(catalogue.STALE_SEGMENTS, "Maximum"),
                ],
            ),
        )
        dashboard.add_widgets(
            graph(
                "Validations by outcome",
                [m for outcome in outcomes for m in by_provider(catalogue.VALIDATIONS, outcome=outcome)],
            ),
            graph(
                "Rate-limited requests and purges",
                [
                    *[
                        skylight_metric(catalogue.RATE_LIMITED, limit=limit)
                        for limit in ("validations", "crawls", "accounts_per_tenant")
                    ],
                    skylight_metric(catalogue.ACCOUNTS_PURGED),
                ],
            ),
            graph(
                "Lambda concurrency and workflow executions",
                [
                    *[
                        function.metric("ConcurrentExecutions", statistic="Maximum")
                        for function in self._watched.functions
                    ],
                    machine.metric_failed(statistic="Sum"),
                    machine.metric_succeeded(statistic="Sum"),
                ],
            ),
        )
        return dashboard
