"""The Lambda functions: one code asset (functions/), one dependency layer, one role each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.config import FUNCTIONS_DIR, SkylightSettings
from infra.constructs.data import grant_read_write_items
from infra.constructs.encryption import PlatformKey
from infra.constructs.workflow import SEGMENT_CONCURRENCY

# The newest Python runtime this aws-cdk-lib knows (cdk-nag L1 insists on it); the layer follows it.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64

# Caches and build debris never belong in the deployment package.
CODE_EXCLUDES = [
    "**/__pycache__",
    "**/*.pyc",
    "**/.mypy_cache",
    "**/.pytest_cache",
    "**/.ruff_cache",
    "**/*.egg-info",
]


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between the functions; everything else is shared."""

    construct_id: str
    handler: str
    description: str
    memory_size: int
    timeout: cdk.Duration
    # Who invokes the function, and how: why it has no dead-letter queue.
    invoked_by: str
    #: Invoked asynchronously (CloudFormation's custom resources): the reason above must say why
    #: no failed invocation needs keeping.
    asynchronous: bool = False


# The workflow's tasks: the state machine retries transient failures and catches the rest.
BY_THE_STATE_MACHINE = (
    "Step Functions, synchronously: the state machine retries transient failures and catches the rest "
    "(a crawl that began always reaches Finish)"
)

API_FUNCTION = FunctionSpec(
    construct_id="ApiFunction",
    handler="skylight.handlers.api.app.lambda_handler",
    description="Skylight HTTP API",
    memory_size=1024,
    # API Gateway gives up after 29 s, the function must not outlive it.
    timeout=cdk.Duration.seconds(29),
    invoked_by="API Gateway, synchronously: every error goes back to the caller as the response",
)
BEGIN_FUNCTION = FunctionSpec(
    construct_id="BeginFunction",
    handler="skylight.handlers.workflow.tasks.begin_crawl",
    description="Skylight workflow: stop if the account was disconnected, take the account's crawl lock",
    memory_size=256,
    timeout=cdk.Duration.seconds(30),
    invoked_by=BY_THE_STATE_MACHINE,
)
VALIDATE_FUNCTION = FunctionSpec(
    construct_id="ValidateFunction",
    handler="skylight.handlers.workflow.tasks.validate_account",
    description="Skylight workflow: validate the connection again and record the outcome",
    memory_size=512,
    timeout=cdk.Duration.seconds(60),
    invoked_by=BY_THE_STATE_MACHINE,
)
PLAN_FUNCTION = FunctionSpec(
    construct_id="PlanFunction",
    handler="skylight.handlers.workflow.tasks.plan_crawl",
    description="Skylight workflow: find the account's enabled regions",
    memory_size=256,
    timeout=cdk.Duration.seconds(60),
    invoked_by=BY_THE_STATE_MACHINE,
)
CRAWL_SEGMENTS_FUNCTION = FunctionSpec(
    construct_id="CrawlSegmentsFunction",
    handler="skylight.handlers.workflow.tasks.crawl_segments",
    description="Skylight workflow: list every resource type of a batch of segments, write what changed",
    # A full vCPU: parsing large listing pages is CPU-bound.
    memory_size=1769,
    timeout=cdk.Duration.minutes(10),
    invoked_by=BY_THE_STATE_MACHINE,
)
FINISH_FUNCTION = FunctionSpec(
    construct_id="FinishFunction",
    handler="skylight.handlers.workflow.tasks.finish_crawl",
    description="Skylight workflow: total the crawl, update the account's summary, release the lock",
    memory_size=512,
    timeout=cdk.Duration.seconds(60),
    invoked_by=BY_THE_STATE_MACHINE,
)
PURGE_FUNCTION = FunctionSpec(
    construct_id="PurgeFunction",
    handler="skylight.handlers.events.aged_out.purge_aged_out_accounts",
    description="Skylight: delete what an account left behind once its retention is over",
    memory_size=512,
    timeout=cdk.Duration.minutes(5),
    invoked_by="the table stream's event source mapping, which retries a failing batch (halving it) "
    "and parks what still fails, with its stream positions, in the PurgeFailures queue",
)

OUTBOUND_FEDERATION_FUNCTION = FunctionSpec(
    construct_id="OutboundFederationFunction",
    handler="skylight.handlers.deployment.outbound_federation.on_event",
    description="Skylight deployment: turn on outbound identity federation, read its issuer",
    memory_size=256,
    timeout=cdk.Duration.minutes(1),
    invoked_by="CloudFormation, asynchronously, when a deployment creates or updates the custom resource. "
    "The function answers CloudFormation itself, FAILED included, and an invocation that never answers "
    "fails the deployment, which is rolled back; a kept copy of a past deployment's request has no use",
    asynchronous=True,
)


# Lambda refuses reservations that leave less than this much of the account's quota unreserved.
UNRESERVED_MINIMUM = 100
# The crawl steps a running crawl invokes one at a time (CrawlSegmentBatch runs up to the Map's width).
CRAWL_STEPS = (BEGIN_FUNCTION, VALIDATE_FUNCTION, PLAN_FUNCTION, FINISH_FUNCTION)
NO_VPC_REASON = (
    "Nothing Skylight's functions call lives in a VPC: its own table, keys, state machine and schedules "
    "are AWS services, and the crawls call the public endpoints of every region the customers enable. A "
    "VPC would route all of it through NAT gateways and isolate nothing."
)


def reserved_concurrency(settings: SkylightSettings) -> dict[str, int]:
    """Each function's reserved concurrency, by construct id (the reasoning is in `SkylightSettings`).

    Raises ValueError when the reservations would leave less than Lambda's minimum unreserved in
    the account, a deployment CloudFormation would otherwise fail half-way.
    """
    crawls = settings.concurrent_crawls
    reserved = {
        API_FUNCTION.construct_id: settings.api_concurrency,
        **{step.construct_id: crawls for step in CRAWL_STEPS},
        CRAWL_SEGMENTS_FUNCTION.construct_id: crawls * SEGMENT_CONCURRENCY,
        PURGE_FUNCTION.construct_id: settings.purge_concurrency,
        # One deployment at a time calls it.
        OUTBOUND_FEDERATION_FUNCTION.construct_id: 1,
    }
    available = settings.account_concurrency_limit - UNRESERVED_MINIMUM
    if sum(reserved.values()) > available:
        raise ValueError(
            f"the functions would reserve {sum(reserved.values())} concurrent executions, but an account "
            f"quota of {settings.account_concurrency_limit} (accountConcurrencyLimit) leaves {available} "
            "to reserve: lower apiConcurrency, concurrentCrawls or purgeConcurrency, or raise the quota"
        )
    return reserved


class SkylightFunctions(Construct):
    """The API function and the workflow's task functions, sharing code, layer and configuration.

    Each function gets its own execution role; permissions are added with grants by whoever owns
    the resource (table, state machine, platform principal), so every role stays minimal.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layer: lambda_.ILayerVersion,
        key: PlatformKey,
        environment: Mapping[str, str],
        reserved_concurrency: Mapping[str, int],
    ) -> None:
        super().__init__(scope, construct_id)
        self._layer = layer
        self._key = key
        self._environment = dict(environment)
        self._reserved_concurrency = dict(reserved_concurrency)
        self._code = lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=CODE_EXCLUDES)
        self.api = self._function(API_FUNCTION)
        self.begin = self._function(BEGIN_FUNCTION)
        self.validate = self._function(VALIDATE_FUNCTION)
        self.plan = self._function(PLAN_FUNCTION)
        self.crawl_segments = self._function(CRAWL_SEGMENTS_FUNCTION)
        self.finish = self._function(FINISH_FUNCTION)
        self.purge = self._function(PURGE_FUNCTION)
        # The deployment's own function: no table, no key, no customer.
        self.outbound_federation = self._function(OUTBOUND_FEDERATION_FUNCTION)

    @property
    def all(self) -> tuple[lambda_.Function, ...]:
        """Every function of the application, for wiring that applies to all of them (not the
        deployment's own function)."""
        return (self.api, self.begin, self.validate, self.plan, self.crawl_segments, self.finish, self.purge)

    @property
    def customer_facing(self) -> tuple[lambda_.Function, ...]:
        """The functions that call customer accounts (through the platform principal)."""
        return (self.api, self.validate, self.plan, self.crawl_segments)

    def grant_table_access(self, table: dynamodb.ITableV2) -> None:
        """Every function reads and writes items of the one table (and nothing else)."""
        for writer in self.all:
            grant_read_write_items(table, writer)

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        log_group = self._key.log_group(self, f"{spec.construct_id}Logs")
        # An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log
        # group only, not create or write any log group in the account.
        role = iam.Role(
            self,
            f"{spec.construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {spec.construct_id}",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            spec.construct_id,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=self._code,
            handler=spec.handler,
            layers=[self._layer],
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            reserved_concurrent_executions=self._reserved_concurrency[spec.construct_id],
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment,
            # The key that already guards the table: only who may use it can read the configuration.
            environment_encryption=self._key.key,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
        )
        nag.wildcard_resource(
            role,
            "*",
            "X-Ray's PutTraceSegments and PutTelemetryRecords (tracing ACTIVE) support no resource-level "
            "permissions.",
        )
        no_dead_letter_queue = (
            f"Invoked by {spec.invoked_by}."
            if spec.asynchronous
            else f"Invoked by {spec.invoked_by}. A dead-letter queue only receives failed asynchronous "
            "invocations, and nothing invokes this function asynchronously."
        )
        nag.acknowledge(function, "Serverless-LambdaDLQ", no_dead_letter_queue)
        nag.acknowledge_checkov(function, "CKV_AWS_116", no_dead_letter_queue)
        nag.acknowledge_checkov(function, "CKV_AWS_117", NO_VPC_REASON)
        return function
