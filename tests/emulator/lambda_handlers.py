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
