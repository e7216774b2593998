"""StopExecution ends an execution as ABORTED, even when a task that was running fails afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.emulator.conftest import Aws
from tests.emulator.test_lambda_runtime import state_machine

HANDLERS = "tests.emulator.lambda_handlers"


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_stopped_execution_stays_aborted_when_its_running_task_fails(aws: Aws) -> None:
    machine = state_machine(aws, "fails-after", aws.create_function("fails-after", f"{HANDLERS}.fails_after"))
    sfn = aws.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=machine, input='{"seconds": 0.5, "account_id": "a-1"}')
    execution = started["executionArn"]

    def task_started() -> bool:
        events = sfn.get_execution_history(executionArn=execution)["events"]
        return any(event["type"] == "LambdaFunctionStarted" for event in events)

    wait_for(task_started)
    sfn.stop_execution(executionArn=execution, error="AccountDisconnected", cause="disconnected")
    wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")
    time.sleep(0.8)  # the task fails meanwhile

    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    events = [event["type"] for event in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "ExecutionFailed" not in events
    assert "PassStateEntered" not in events  # no Catch ran after the stop
