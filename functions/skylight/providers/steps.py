"""The step-by-step test log every provider's validation returns: shared by all providers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from skylight.models.domain import StepOutcome, ValidationStep

T = TypeVar("T")


@dataclass(frozen=True)
class Timed(Generic[T]):
    """The outcome of one call: its value or its error, and how long it took."""

    value: T | None
    error: Exception | None
    duration_ms: int


def timed(call: Callable[[], T]) -> Timed[T]:
    """Run `call`, capturing its result or exception and its duration (never raises)."""
    started = time.perf_counter()
    try:
        value = call()
    except Exception as error:
        return Timed(None, error, _elapsed_ms(started))
    return Timed(value, None, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


class StepLog:
    """An ordered test log; steps that never ran are recorded as skipped so the log is always complete."""

    def __init__(self, planned: list[str]) -> None:
        self._planned = planned
        self._steps: dict[str, ValidationStep] = {}

    def record(
        self,
        name: str,
        outcome: StepOutcome,
        message: str,
        duration_ms: int = 0,
        provider_error_code: str | None = None,
    ) -> None:
        self._steps[name] = ValidationStep(
            name=name,
            outcome=outcome,
            duration_ms=duration_ms,
            message=message,
            provider_error_code=provider_error_code,
        )

    def steps(self) -> list[ValidationStep]:
        skipped = ValidationStep(
            name="", outcome=StepOutcome.SKIPPED, message="not run: an earlier step failed"
        )
        return [self._steps.get(name, skipped.model_copy(update={"name": name})) for name in self._planned]
