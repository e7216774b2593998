"""One Lambda function's handler, called as the Lambda runtime calls it: in this process, or as a
worker process of its own that the local run starts for one function.

As a worker (`python -m local.function_worker <handler>`), the process holds exactly the environment
the local run gave it (that function's configuration and its execution role's credentials), imports
the handler once (a warm container), then answers one invocation per line on stdin with one line on
its original stdout: `{"payload": <JSON text>, "errored": bool, "logs": <text>}`. Everything the
handler prints (Powertools logs to stdout) goes to stderr, so it can never corrupt an answer.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Where Skylight's first-party code (package `skylight`) lives.
FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    timeout_seconds: float = 3.0
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's configured timeout."""
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))

    def fields(self) -> dict[str, Any]:
        """What a worker needs to make the same context (its clock starts on arrival)."""
        values = asdict(self)
        del values["_started"]
        return values


def error_payload(error_type: str, message: str) -> str:
    return json.dumps({"errorType": error_type, "errorMessage": message})


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import "pkg.module.func" and return `func`; raises ImportError or AttributeError."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise ImportError(f"Bad handler '{handler}': expected 'module.function'")
    function = getattr(importlib.import_module(module_name), function_name)
    if not callable(function):
        raise AttributeError(f"Handler '{function_name}' on module '{module_name}' is not callable")
    return function


def run_handler(handler: str, event: Any, context: LambdaContext) -> tuple[str, bool, str]:
    """Call the handler; return (JSON payload, errored, log text) as moto's `_invoke_lambda` does."""
    try:
        function = load_handler(handler)
    except ImportError as exc:
        message = f"Unable to import module '{handler}': {exc}"
        return error_payload("Runtime.ImportModuleError", message), True, ""
    except AttributeError as exc:
        return error_payload("Runtime.HandlerNotFound", str(exc)), True, ""
    try:
        result = function(event, context)
    except Exception as exc:
        logs = traceback.format_exc()
        log.debug("Lambda %s raised:\n%s", context.function_name, logs)
        return error_payload(type(exc).__name__, str(exc)), True, logs
    try:
        return json.dumps(result), False, ""
    except (TypeError, ValueError) as exc:
        return error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}"), True, ""


def serve(handler: str) -> None:
    """Answer invocations of `handler` read from stdin until it closes."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    try:
        load_handler(handler)  # the cold start happens before the first invocation arrives
        ready: dict[str, Any] = {"ready": True}
    except (ImportError, AttributeError) as exc:
        ready = {"ready": False, "error": str(exc)}
    answers.write(json.dumps(ready) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(**request["context"])
        payload, errored, logs = run_handler(handler, request["event"], context)
        answers.write(json.dumps({"payload": payload, "errored": errored, "logs": logs}) + "\n")


if __name__ == "__main__":
    serve(sys.argv[1])
