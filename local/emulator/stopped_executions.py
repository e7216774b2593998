"""A stopped Step Functions execution stays stopped (ABORTED), as in AWS.

moto's ASL engine (`moto.stepfunctions.parser`, checked with moto 5.2.5) marks a stopped
execution's program `ProgramStopped`, but a task that fails after the stop (one already running
when StopExecution arrived) then calls `Environment.set_error`, which overwrites that state: the
execution ends FAILED with the task's error, and no Catch runs. In AWS, StopExecution ends the
execution as ABORTED, whatever a task still running does afterwards. This patch makes
`Environment.set_error` and `Environment.set_timed_out` leave a stopped program stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

_PATCH_MARK = "_skylight_stopped_executions"


def _unless_stopped(original: Callable[..., None]) -> Callable[..., None]:
    def change_state(self: Environment, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.program_state(), ProgramStopped):
            return
        original(self, *args, **kwargs)

    setattr(change_state, _PATCH_MARK, True)
    return change_state


def install() -> None:
    """Keep stopped executions stopped (idempotent)."""
    if getattr(Environment.set_error, _PATCH_MARK, False):
        return
    Environment.set_error = _unless_stopped(Environment.set_error)  # type: ignore[method-assign]
    Environment.set_timed_out = _unless_stopped(Environment.set_timed_out)  # type: ignore[method-assign]
