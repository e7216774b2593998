"""Run Lambda functions in-process, by importing their handler.

Without Docker, moto cannot run a function: its Docker backend returns the Docker error as the
payload and its `use_docker: false` backend (`LambdaSimpleBackend`) only echoes the input. This
patch replaces `moto.awslambda.models.LambdaFunction._invoke_lambda(self, event)` (which returns
`(payload, errored, logs)`) with an import of the module named by the function's `Handler`
("pkg.module.func", importable from `functions/`) and a call with the decoded event and a minimal
Lambda context. `LambdaSimpleBackend.invoke` is made to go through the same path, unless a result
was queued through moto's `/moto-api/static/lambda-simple/response` API.

An exception becomes `{"errorType": <class name>, "errorMessage": str(exc)}` with the function-error
flag set; moto's Invoke then sends `X-Amz-Function-Error` (rewritten to AWS's "Unhandled"), which
its Step Functions engine turns into an error named `errorType`, so Catch and Retry on named
errors work.

The function's `Environment` is deliberately not applied to `os.environ`: that is process-global and
racy across concurrent invocations. Whoever runs the emulator sets the process environment once.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend

log = logging.getLogger(__name__)

#: Where Skylight's first-party code (package `skylight`) lives.
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"

_PATCH_MARK = "_skylight_lambda_runtime"


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


def _error(error_type: str, message: str) -> str:
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
        return _error("Runtime.ImportModuleError", f"Unable to import module '{handler}': {exc}"), True, ""
    except AttributeError as exc:
        return _error("Runtime.HandlerNotFound", str(exc)), True, ""
    try:
        result = function(event, context)
    except Exception as exc:
        logs = traceback.format_exc()
        log.debug("Lambda %s raised:\n%s", context.function_name, logs)
        return _error(type(exc).__name__, str(exc)), True, logs
    try:
        return json.dumps(result), False, ""
    except (TypeError, ValueError) as exc:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}"), True, ""


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
