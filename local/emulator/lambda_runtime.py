"""Run Lambda functions without Docker: their handlers, imported from `functions/`.

Without Docker, moto cannot run a function: its Docker backend returns the Docker error as the
payload and its `use_docker: false` backend (`LambdaSimpleBackend`) only echoes the input. This
patch replaces `moto.awslambda.models.LambdaFunction._invoke_lambda(self, event)` (which returns
`(payload, errored, logs)`) with a call of the handler named by the function's `Handler`
("pkg.module.func") with the decoded event and a minimal Lambda context: in the worker processes
of that function when one is registered (`function_processes`: the local run's functions, each with
its own environment and execution role), else in this process (`local.function_worker.run_handler`).
`LambdaSimpleBackend.invoke` is made to go through the same path, unless a result was queued
through moto's `/moto-api/static/lambda-simple/response` API.

An exception becomes `{"errorType": <class name>, "errorMessage": str(exc)}` with the function-error
flag set; moto's Invoke then sends `X-Amz-Function-Error` (rewritten to AWS's "Unhandled"), which
its Step Functions engine turns into an error named `errorType`, so Catch and Retry on named
errors work.

In this process the function's `Environment` is deliberately not applied to `os.environ`: that is
process-global and racy across concurrent invocations; worker processes get theirs at start.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend

from local.emulator.function_processes import processes_of
from local.function_worker import FUNCTIONS_DIR, LambdaContext, load_handler, run_handler

__all__ = ["FUNCTIONS_DIR", "LambdaContext", "context_for", "install", "load_handler", "run_handler"]

_PATCH_MARK = "_skylight_lambda_runtime"


def context_for(function: LambdaFunction) -> LambdaContext:
    """A fresh context for one invocation of `function`."""
    return LambdaContext(
        function_name=function.function_name,
        function_version=str(function.version),
        invoked_function_arn=function.function_arn,
        memory_limit_in_mb=int(function.memory_size),
        log_group_name=function.logs_group_name,
        log_stream_name=f"local/[{function.version}]{uuid.uuid4().hex}",
        timeout_seconds=float(function.timeout),
    )


def _decode(event: Any) -> Any:
    # moto hands over the parsed body, or the string "{}" when the payload was empty.
    if isinstance(event, str | bytes):
        try:
            return json.loads(event or "{}")
        except ValueError:
            return event
    return {} if event is None else event


def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    # moto's own implementation creates the log group before running; keep that side effect.
    self.logs_backend.ensure_log_group(self.logs_group_name)
    processes = processes_of(self.function_name)
    if processes is not None:  # the local run's functions: each in processes of its own
        return processes.invoke(_decode(event), context_for(self))
    return run_handler(str(self.handler), _decode(event), context_for(self))


def _simple_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        if self.lambda_simple_results_queue:  # results queued through moto's API still win
            return original(self, function_name, qualifier, body, headers, response_headers)
        return LambdaBackend.invoke(self, function_name, qualifier, body, headers, response_headers)

    setattr(invoke, _PATCH_MARK, True)
    return invoke


def _unhandled_errors(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        payload = original(self, *args, **kwargs)
        response_headers = kwargs.get("response_headers", args[-1] if args else None)
        # moto says "Handled"; AWS says "Unhandled" for an exception the handler let escape.
        if isinstance(response_headers, dict) and response_headers.get("x-amz-function-error") == "Handled":
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload

    setattr(invoke, _PATCH_MARK, True)
    return invoke


def install() -> None:
    """Run Lambda handlers in-process in every moto Lambda backend (idempotent)."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    if getattr(LambdaFunction._invoke_lambda, _PATCH_MARK, False):
        return
    setattr(_invoke_lambda, _PATCH_MARK, True)
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    LambdaBackend.invoke = _unhandled_errors(LambdaBackend.invoke)  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = _simple_invoke(LambdaSimpleBackend.invoke)  # type: ignore[method-assign]
