"""The account workflow: validate, then crawl the segments the provider plans (a STANDARD state machine).

Payload contract (see `skylight.models.workflow`); each state adds its result under its own key:
input        {"tenant_id", "account_id", "trigger", "crawl_id"?}
Begin        gets {"workflow": the input, "execution_arn": its own execution's ARN}; returns the input
             plus "crawl_id", "provider", "already_running"
Validate     -> $.validation {"result", "status", ...}
Plan         -> $.plan {"batches": [[...], ...]}: a few dozen names, never resource lists
CrawlSegmentBatch  one per batch (inline Map) of the plan's segments (AWS: each enabled region, and
             `global`): one alone, or several small ones; each commits its own listings; results
             are discarded
Finish       totals the crawl from storage, updates the summary, releases the lock
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import nag
from infra.constructs.encryption import PlatformKey

# Raised by the task functions (the Python exception's class name is the Step Functions error name).
ACCOUNT_DISCONNECTED = "AccountDisconnected"
CONNECTED = "connected"

# Transient Lambda failures worth retrying; errors raised by our own code are not among them.
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
RETRY = sfn.RetryProps(
    errors=LAMBDA_TRANSIENT_ERRORS,
    interval=cdk.Duration.seconds(2),
    max_attempts=6,
    backoff_rate=2,
    jitter_strategy=sfn.JitterType.FULL,
)
# The crawl lock (skylight.logic.crawls.LOCK_DURATION, 35 minutes) outlives this, so a crawl is never
# taken over while its execution may still run (a test checks the two).
EXECUTION_TIMEOUT = cdk.Duration.minutes(30)
# Batches of segments crawled at once: every enabled region of a commercial AWS account (17) fits in
# one wave, even on a first crawl (nothing recorded yet, so each segment in a batch of its own).
SEGMENT_CONCURRENCY = 20


class AccountWorkflow(Construct):
    """The state machine that validates and crawls one connected account.

    Begin -> AlreadyRunning? -> Validate -> IsConnected -> Plan -> CrawlSegments (Map) -> Finish -> Done.
    A failed validation or plan still goes to Finish (the crawl is recorded as failed and its lock
    released), and so does any error of Validate or Plan, or of Begin once a crawl exists; a batch
    that fails is skipped and Finish records its unfinished segments as failed; AccountDisconnected
    from Begin ends in Skipped, from later states in Finish.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        begin_function: lambda_.IFunction,
        validate_function: lambda_.IFunction,
        plan_function: lambda_.IFunction,
        crawl_segments_function: lambda_.IFunction,
        finish_function: lambda_.IFunction,
        key: PlatformKey,
    ) -> None:
        super().__init__(scope, construct_id)
        functions = (
            begin_function,
            validate_function,
            plan_function,
            crawl_segments_function,
            finish_function,
        )
        done = sfn.Succeed(self, "Done")
        skipped = sfn.Succeed(self, "Skipped", comment="The account was disconnected: nothing to do")
        already_running = sfn.Succeed(self, "AlreadyRunning", comment="Another crawl holds the account")

        finish = self._invoke("Finish", finish_function).next(done)
        disconnected = self._failure("AccountWasDisconnected", "account_disconnected", finish)
        validation_failed = self._failure("ValidationFailed", "validation_failed", finish)
        validation_error = self._failure("ValidationError", "validation_error", finish)
        plan_failed = self._failure("PlanFailed", "plan_failed", finish)
        begin_failed = self._failure("BeginFailed", "begin_failed", finish)

        # The crawl records which execution runs it, so that a disconnect can stop the execution.
        begin = self._invoke(
            "Begin",
            begin_function,
            payload=sfn.TaskInput.from_object(
                {
                    "workflow": sfn.JsonPath.object_at("$"),
                    "execution_arn": sfn.JsonPath.string_at("$$.Execution.Id"),
                }
            ),
        )
        begin.add_catch(skipped, errors=[ACCOUNT_DISCONNECTED], result_path="$.error")
        # The API began this crawl (its id is in the input): record it as failed; else nothing began.
        begin.add_catch(
            sfn.Choice(self, "DidACrawlBegin")
            .when(sfn.Condition.is_present("$.crawl_id"), begin_failed)
            .otherwise(sfn.Fail(self, "NothingBegan", error="BeginFailed", cause="No crawl was started")),
            errors=["States.ALL"],
            result_path="$.error",
        )
        validate = self._invoke("Validate", validate_function, result_path="$.validation")
        validate.add_catch(disconnected, errors=[ACCOUNT_DISCONNECTED], result_path="$.error")
        validate.add_catch(validation_error, errors=["States.ALL"], result_path="$.error")
        plan = self._invoke("Plan", plan_function, result_path="$.plan")
        plan.add_catch(disconnected, errors=[ACCOUNT_DISCONNECTED], result_path="$.error")
        plan.add_catch(plan_failed, errors=["States.ALL"], result_path="$.error")

        crawl_batch = self._invoke("CrawlSegmentBatch", crawl_segments_function)
        # One batch failing (or the account going away mid-crawl) never stops the others; Finish
        # sees its segments as not done and reports the crawl as partial.
        crawl_batch.add_catch(
            sfn.Pass(self, "BatchSkipped", comment="Recorded as not done; the crawl is partial"),
            errors=["States.ALL"],
            result_path="$.error",
        )
        crawl_segments = sfn.Map(
            self,
            "CrawlSegments",
            # A batch: one segment, or several small ones (see `segment_batches`).
            items_path="$.plan.batches",
            item_selector={
                "tenant_id.$": "$.tenant_id",
                "account_id.$": "$.account_id",
                "crawl_id.$": "$.crawl_id",
                "segments.$": "$$.Map.Item.Value",
            },
            max_concurrency=SEGMENT_CONCURRENCY,
            # Segments record their own results; nothing but identifiers stays in the state.
            result_path=sfn.JsonPath.DISCARD,
        )
        crawl_segments.item_processor(crawl_batch)

        is_connected = (
            sfn.Choice(self, "IsConnected")
            .when(
                sfn.Condition.string_equals("$.validation.result", CONNECTED),
                plan.next(crawl_segments).next(finish),
            )
            .otherwise(validation_failed)
        )
        is_running = (
            sfn.Choice(self, "IsAlreadyRunning")
            .when(sfn.Condition.boolean_equals("$.already_running", True), already_running)
            .otherwise(validate.next(is_connected))
        )

        self.definition = begin.next(is_running)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Skylight account workflow: validate, then crawl every segment of the plan",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(self.definition),
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=key.log_group(self, "Logs"),
                level=sfn.LogLevel.ALL,
                # Payloads hold identifiers and counts only, never credentials or resources.
                include_execution_data=True,
            ),
        )
        role = self.state_machine.role
        nag.wildcard_resource(
            role,
            "*",
            "CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray actions support no "
            "resource-level permissions.",
        )
        for function in functions:
            nag.wildcard_resource(
                role,
                f"{function.function_arn}:*",
                "Lets the state machine invoke versions and aliases of its own task function only "
                "(the LambdaInvoke grant).",
            )

    def grant_stop(self, function: lambda_.IFunction) -> None:
        """Let `function` stop executions of this state machine (a disconnect stops the account's
        running crawl), and nothing else's."""
        executions = cdk.Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine.state_machine_name}:*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:StopExecution"], resources=[executions])
        )
        assert function.role is not None
        nag.wildcard_resource(
            function.role,
            executions,
            "Execution names are made at runtime (one per crawl); the pattern covers this state machine's "
            "executions only, and only StopExecution.",
        )

    def _failure(self, state_name: str, failure: str, finish: sfn.IChainable) -> sfn.Pass:
        """Record why the crawl cannot go on, for Finish to report."""
        state = sfn.Pass(self, state_name, result=sfn.Result.from_string(failure), result_path="$.failure")
        state.next(finish)
        return state

    def _invoke(
        self,
        state_name: str,
        function: lambda_.IFunction,
        result_path: str | None = None,
        payload: sfn.TaskInput | None = None,
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_name,
            lambda_function=function,
            payload_response_only=True,
            result_path=result_path,
            payload=payload,
            # Replaced by the explicit retry below (which adds TooManyRequests).
            retry_on_service_exceptions=False,
        )
        task.add_retry(
            errors=RETRY.errors,
            interval=RETRY.interval,
            max_attempts=RETRY.max_attempts,
            backoff_rate=RETRY.backoff_rate,
            jitter_strategy=RETRY.jitter_strategy,
        )
        return task
