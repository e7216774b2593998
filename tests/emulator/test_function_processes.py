"""A function registered for processes of its own runs there, with exactly the environment it was
given (its configuration and its role's credentials), not in the emulator's process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.config import REPO_ROOT
from local.emulator.function_processes import FunctionProcesses, serve_in_processes, stop_all
from tests.emulator.conftest import Aws

HANDLERS = "tests.emulator.lambda_handlers"


def environment(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT), **extra}


@pytest.fixture
def registered() -> Iterator[None]:
    yield
    stop_all()


def invoke(aws: Aws, function: str, payload: Any) -> tuple[dict[str, Any], Any]:
    response = aws.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    return response, json.loads(response["Payload"].read())


def test_a_registered_function_runs_in_its_own_process_with_its_environment(
    in_process: Aws, registered: None
) -> None:
    in_process.create_function("whoami", f"{HANDLERS}.whoami")
    serve_in_processes(
        FunctionProcesses(
            "whoami",
            f"{HANDLERS}.whoami",
            environment(AWS_ACCESS_KEY_ID="ASIAWHOAMI", SETTING="x"),
            str(REPO_ROOT),
        )
    )

    response, payload = invoke(in_process, "whoami", {})

    assert "FunctionError" not in response
    assert payload["pid"] != os.getpid()
    assert (payload["access_key"], payload["setting"]) == ("ASIAWHOAMI", "x")
    assert 0 < payload["remaining_ms"] <= 3000
    # A warm worker serves the next invocation.
    assert invoke(in_process, "whoami", {})[1]["pid"] == payload["pid"]


def test_concurrent_invocations_never_exceed_the_pool(in_process: Aws, registered: None) -> None:
    in_process.create_function("whoami", f"{HANDLERS}.whoami")
    processes = FunctionProcesses("whoami", f"{HANDLERS}.whoami", environment(), str(REPO_ROOT), size=2)
    serve_in_processes(processes)

    with ThreadPoolExecutor(max_workers=6) as pool:
        pids = {
            payload["pid"] for _, payload in pool.map(lambda _: invoke(in_process, "whoami", {}), range(12))
        }

    assert 1 <= len(pids) <= 2


def test_a_worker_that_outlives_the_timeout_is_replaced(in_process: Aws, registered: None) -> None:
    in_process.create_function("sleeps", f"{HANDLERS}.sleeps")  # moto's default timeout: 3 s
    serve_in_processes(FunctionProcesses("sleeps", f"{HANDLERS}.sleeps", environment(), str(REPO_ROOT)))

    response, payload = invoke(in_process, "sleeps", {"seconds": 30})

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}
    assert "FunctionError" not in invoke(in_process, "sleeps", {"seconds": 0})[0]


def test_a_worker_that_dies_fails_the_invocation_only(in_process: Aws, registered: None) -> None:
    in_process.create_function("exits", f"{HANDLERS}.exits")
    in_process.create_function("whoami", f"{HANDLERS}.whoami")
    serve_in_processes(FunctionProcesses("exits", f"{HANDLERS}.exits", environment(), str(REPO_ROOT)))

    response, payload = invoke(in_process, "exits", {})

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert "exited with status 3" in payload["errorMessage"]
    # Functions not registered still run in this process.
    assert invoke(in_process, "whoami", {})[1]["pid"] == os.getpid()


def test_an_exception_in_a_worker_is_a_named_function_error(in_process: Aws, registered: None) -> None:
    in_process.create_function("disconnected", f"{HANDLERS}.disconnected")
    serve_in_processes(
        FunctionProcesses("disconnected", f"{HANDLERS}.disconnected", environment(), str(REPO_ROOT))
    )

    response, payload = invoke(in_process, "disconnected", {"account_id": "a-1"})

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorType": "AccountDisconnected", "errorMessage": "account a-1 is disconnected"}
