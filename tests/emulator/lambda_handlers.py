"""Tiny Lambda handlers the emulator tests invoke by name ("tests.emulator.lambda_handlers.<func>")."""

from __future__ import annotations

from typing import Any


class AccountDisconnected(Exception):
    """A named error a state machine can Catch."""


def echo(event: Any, context: Any) -> dict[str, Any]:
    """Return the event and what the context says about the function."""
    return {
        "event": event,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def disconnected(event: Any, context: Any) -> dict[str, Any]:
    """Fail with a named error."""
    raise AccountDisconnected(f"account {event.get('account_id')} is disconnected")


def unserializable(event: Any, context: Any) -> object:
    """Return something JSON cannot carry."""
    return object()


def whoami(event: Any, context: Any) -> dict[str, Any]:
    """Which process runs the handler, with which credentials and configuration."""
    import os

    return {
        "pid": os.getpid(),
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
        "setting": os.environ.get("SETTING"),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def sleeps(event: Any, context: Any) -> dict[str, Any]:
    """Outlive any short timeout."""
    import time

    time.sleep(float(event.get("seconds", 30)))
    return {}


def exits(event: Any, context: Any) -> dict[str, Any]:
    """The process dies mid-invocation, as a runtime that crashes does."""
    import os

    os._exit(3)


def fails_after(event: Any, context: Any) -> dict[str, Any]:
    """Run for a while, then fail with a named error (a task still running when its execution stops)."""
    import time

    time.sleep(float(event.get("seconds", 1)))
    raise AccountDisconnected(f"account {event.get('account_id')} is disconnected")
