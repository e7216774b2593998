"""The account workflow: connect -> validate (-> crawl, later), a STANDARD Step Functions state machine.

Payload contract (see `skylight.models.workflow`):
input    {"tenant_id", "account_id", "trigger"}
Connect  returns the input plus "provider"; raises AccountDisconnected if the account is gone
Validate returns {"tenant_id", "account_id", "result", "status"}
"""

from __future__ import annotations

import aws_cdk as cdk
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
EXECUTION_TIMEOUT = cdk.Duration.minutes(15)


class AccountWorkflow(Construct):
    """The state machine that (re)validates one connected account.

    States: Connect -> Validate -> IsConnected -> CrawlPending -> Done, or -> ValidationFailed;
    AccountDisconnected from either task ends in Skipped (a success: there is nothing to do).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        connect_function: lambda_.IFunction,
        validate_function: lambda_.IFunction,
        key: PlatformKey,
    ) -> None:
        super().__init__(scope, construct_id)
        skipped = sfn.Succeed(self, "Skipped", comment="The account was disconnected: nothing to do")

        connect = self._invoke("Connect", connect_function, skipped)
        validate = self._invoke("Validate", validate_function, skipped)

        crawl_pending = sfn.Pass(
            self,
            "CrawlPending",
            comment="The inventory crawl plugs in here",
        )
        done = sfn.Succeed(self, "Done")
        validation_failed = sfn.Fail(
            self, "ValidationFailed", error="ValidationFailed", cause_path="$.result"
        )
        is_connected = (
            sfn.Choice(self, "IsConnected")
            .when(sfn.Condition.string_equals("$.result", CONNECTED), crawl_pending.next(done))
            .otherwise(validation_failed)
        )

        self.definition = connect.next(validate).next(is_connected)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Skylight account workflow: connect -> validate (-> crawl)",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(self.definition),
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=key.log_group(self, "Logs"),
                level=sfn.LogLevel.ALL,
                # Payloads hold identifiers and outcomes only, never credentials.
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
        for function in (connect_function, validate_function):
            nag.wildcard_resource(
                role,
                f"{function.function_arn}:*",
                "Lets the state machine invoke versions and aliases of its own task function only "
                "(the LambdaInvoke grant).",
            )

    def _invoke(
        self, state_name: str, function: lambda_.IFunction, skipped: sfn.IChainable
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_name,
            lambda_function=function,
            payload_response_only=True,
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
        task.add_catch(skipped, errors=[ACCOUNT_DISCONNECTED], result_path="$.error")
        return task
