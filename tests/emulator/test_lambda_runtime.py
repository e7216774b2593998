"""Lambda runs the handler in-process; errors carry the function-error flag into Step Functions."""

from __future__ import annotations

import json
from typing import Any

from moto import mock_aws

from tests.emulator.conftest import LAMBDA_ROLE, Aws

HANDLERS = "tests.emulator.lambda_handlers"


def invoke(aws: Aws, function: str, payload: Any) -> tuple[dict[str, Any], Any]:
    response = aws.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    return response, json.loads(response["Payload"].read())


def test_invoke_returns_the_handler_result(aws: Aws) -> None:
    arn = aws.create_function("echo", f"{HANDLERS}.echo")

    response, payload = invoke(aws, "echo", {"account_id": "a-1"})

    assert "FunctionError" not in response
    assert payload["event"] == {"account_id": "a-1"}
    assert payload["function_name"] == "echo"
    assert payload["invoked_function_arn"] == arn
    assert payload["memory_limit_in_mb"] == 128
    assert payload["aws_request_id"]
    assert 0 < payload["remaining_ms"] <= 3000


def test_empty_payload_is_an_empty_event(aws: Aws) -> None:
    aws.create_function("echo", f"{HANDLERS}.echo")

    payload = json.loads(aws.client("lambda").invoke(FunctionName="echo")["Payload"].read())

    assert payload["event"] == {}


def test_an_exception_is_a_function_error(aws: Aws) -> None:
    aws.create_function("disconnected", f"{HANDLERS}.disconnected")

    response, payload = invoke(aws, "disconnected", {"account_id": "a-1"})

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorType": "AccountDisconnected", "errorMessage": "account a-1 is disconnected"}


def test_runtime_errors(aws: Aws) -> None:
    aws.create_function("missing-module", "tests.emulator.no_such_module.handler")
    aws.create_function("missing-function", f"{HANDLERS}.no_such_function")
    aws.create_function("unserializable", f"{HANDLERS}.unserializable")

    assert invoke(aws, "missing-module", {})[1]["errorType"] == "Runtime.ImportModuleError"
    assert invoke(aws, "missing-function", {})[1]["errorType"] == "Runtime.HandlerNotFound"
    assert invoke(aws, "unserializable", {})[1]["errorType"] == "Runtime.MarshalError"


def test_skylight_package_is_importable() -> None:
    from local.emulator.lambda_runtime import load_handler

    assert callable(load_handler("skylight.handlers.workflow.tasks.validate_account"))


def state_machine(aws: Aws, name: str, function_arn: str) -> str:
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": function_arn,
                "Catch": [
                    {"ErrorEquals": ["AccountDisconnected"], "ResultPath": "$.error", "Next": "Disconnected"}
                ],
                "End": True,
            },
            "Disconnected": {
                "Type": "Pass",
                "Result": "disconnected",
                "ResultPath": "$.outcome",
                "End": True,
            },
        },
    }
    arn: str = aws.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=LAMBDA_ROLE, type="STANDARD"
    )["stateMachineArn"]
    return arn


def test_state_machine_task_runs_the_handler(aws: Aws) -> None:
    machine = state_machine(aws, "echo", aws.create_function("echo", f"{HANDLERS}.echo"))

    execution = aws.run_execution(machine, {"account_id": "a-1"})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["event"] == {"account_id": "a-1"}


def test_state_machine_catches_a_named_error(aws: Aws) -> None:
    machine = state_machine(
        aws, "disconnected", aws.create_function("disconnected", f"{HANDLERS}.disconnected")
    )

    execution = aws.run_execution(machine, {"account_id": "a-1"})

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["outcome"] == "disconnected"
    assert output["error"]["Error"] == "AccountDisconnected"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "account a-1 is disconnected"


def test_moto_default_lambda_backend_runs_the_handler_too() -> None:
    """Plain `mock_aws()` keeps moto's Docker backend: the patched `_invoke_lambda` replaces Docker."""
    with mock_aws():
        aws = Aws(endpoint_url=None)
        aws.create_function("disconnected", f"{HANDLERS}.disconnected")

        response, payload = invoke(aws, "disconnected", {"account_id": "a-2"})

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "AccountDisconnected"
