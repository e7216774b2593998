"""The local run holds each function to its own execution role from the template, as AWS does: every
function runs in processes of its own with a session of that role, and the emulator evaluates the
role's policies on every call it makes."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.emulator.function_processes import processes_of
from local.run import LocalRun

HANDLERS = {
    "api": "skylight.handlers.api.app.lambda_handler",
    "begin": "skylight.handlers.workflow.tasks.begin_crawl",
    "validate": "skylight.handlers.workflow.tasks.validate_account",
    "plan": "skylight.handlers.workflow.tasks.plan_crawl",
    "crawl_segments": "skylight.handlers.workflow.tasks.crawl_segments",
    "finish": "skylight.handlers.workflow.tasks.finish_crawl",
    "purge": "skylight.handlers.events.aged_out.purge_aged_out_accounts",
    "outbound_federation": "skylight.handlers.deployment.outbound_federation.on_event",
}


def as_function(run: LocalRun, function: str, service: str) -> Any:
    """A client with exactly the credentials the local run handed to `function`'s processes."""
    name = run.stack.function_named(HANDLERS[function]).ref
    processes = processes_of(name)
    assert processes is not None, f"{name} does not run in processes of its own"
    environment = processes.environment
    return boto3.client(
        service,
        region_name=environment["AWS_REGION"],
        endpoint_url=run.emulator.endpoint_url,
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=environment["AWS_SESSION_TOKEN"],
    )


def role_of(run: LocalRun, function: str) -> str:
    for resource in run.stack.of_type("AWS::Lambda::Function").values():
        if resource["Properties"]["Handler"] == HANDLERS[function]:
            role_logical_id = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            return run.stack.resources[role_logical_id].ref
    raise KeyError(function)


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    assert "AccessDenied" in error.value.response["Error"]["Code"]
    return str(error.value.response["Error"]["Message"])


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_each_function_runs_as_its_own_execution_role(local_run: LocalRun, function: str) -> None:
    identity = as_function(local_run, function, "sts").get_caller_identity()

    assert f":assumed-role/{role_of(local_run, function)}/" in identity["Arn"]


def test_purge_cannot_read_the_secrets_table(local_run: LocalRun) -> None:
    table = os.environ["SECRETS_TABLE_NAME"]
    key = {"pk": {"S": "SECRET#x"}, "sk": {"S": "x"}}

    message = refused(as_function(local_run, "purge", "dynamodb").get_item, TableName=table, Key=key)

    assert f"dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{table}" in message
    # The API, which seals and opens secrets, may.
    assert "Item" not in as_function(local_run, "api", "dynamodb").get_item(TableName=table, Key=key)


def test_validate_cannot_start_or_stop_executions(local_run: LocalRun) -> None:
    machine = os.environ["STATE_MACHINE_ARN"]
    stepfunctions = as_function(local_run, "validate", "stepfunctions")

    message = refused(stepfunctions.start_execution, stateMachineArn=machine, input=json.dumps({}))

    assert f"states:StartExecution on resource: {machine}" in message
    execution = machine.replace(":stateMachine:", ":execution:") + ":nothing"
    refused(stepfunctions.stop_execution, executionArn=execution)


def test_only_the_api_may_sign_cursors_and_seal_secrets(local_run: LocalRun) -> None:
    cursor_key, vault_key = os.environ["CURSOR_KEY_ID"], os.environ["VAULT_KEY_ID"]
    context = {"tenant_id": "t", "account_id": "a", "purpose": "aws_access_key"}
    mac = {"KeyId": cursor_key, "Message": b"label", "MacAlgorithm": "HMAC_SHA_256"}

    assert as_function(local_run, "api", "kms").generate_mac(**mac)["Mac"]
    refused(as_function(local_run, "crawl_segments", "kms").generate_mac, **mac)
    seal = {"KeyId": vault_key, "KeySpec": "AES_256", "EncryptionContext": context}
    assert as_function(local_run, "api", "kms").generate_data_key(**seal)["CiphertextBlob"]
    refused(as_function(local_run, "validate", "kms").generate_data_key, **seal)
    # Out of the grant's encryption context, even the API is refused.
    refused(as_function(local_run, "api", "kms").generate_data_key, **{**seal, "EncryptionContext": {}})


def test_only_the_customer_facing_functions_may_become_the_platform_principal(local_run: LocalRun) -> None:
    principal = os.environ["PLATFORM_PRINCIPAL_ARN"]

    for function in ("api", "validate", "plan", "crawl_segments"):
        sts = as_function(local_run, function, "sts")
        assert sts.assume_role(RoleArn=principal, RoleSessionName="check")["Credentials"]
    for function in ("begin", "finish", "purge", "outbound_federation"):
        sts = as_function(local_run, function, "sts")
        refused(sts.assume_role, RoleArn=principal, RoleSessionName="check")
