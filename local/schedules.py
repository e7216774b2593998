"""Firing EventBridge Scheduler schedules locally: moto stores schedules but never runs them.

`ScheduleRunner` reads the schedules of the stack's group and, when one is due, does what the
Scheduler service does with a Step Functions target: StartExecution with the schedule's input.
`make serve` runs it in a background thread; the demo fires schedules on demand.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def interval_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for expressions this runner ignores."""
    match = RATE.match(expression)
    if match is None:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).rstrip("s")]


class ScheduleRunner:
    """Starts the targets of due schedules; a schedule is first due one interval after it is seen."""

    def __init__(
        self, scheduler: Any, stepfunctions: Any, group_name: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._scheduler = scheduler
        self._stepfunctions = stepfunctions
        self._group_name = group_name
        self._clock = clock
        self._next_run: dict[str, float] = {}
        self._stop = threading.Event()
        self.fired: list[str] = []

    def fire_due(self, now: float | None = None) -> list[str]:
        """Start every due schedule's target once; return the names fired."""
        now = self._clock() if now is None else now
        fired = []
        names = set()
        for summary in self._list():
            name = summary["Name"]
            names.add(name)
            schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group_name)
            interval = interval_seconds(schedule["ScheduleExpression"])
            if interval is None or schedule.get("State") == "DISABLED":
                continue
            due = self._next_run.setdefault(name, now + interval)
            if now >= due:
                self._start(name, schedule["Target"])
                self._next_run[name] = now + interval
                fired.append(name)
        for gone in set(self._next_run) - names:  # deleted schedules are forgotten
            del self._next_run[gone]
        self.fired += fired
        return fired

    def fire_now(self, name: str) -> None:
        """Run one schedule now, as if it were due (the demo uses it instead of waiting hours)."""
        schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group_name)
        self._start(name, schedule["Target"])
        self.fired.append(name)

    def names(self) -> list[str]:
        return sorted(summary["Name"] for summary in self._list())

    def run_in_background(self, every_s: float = 5.0) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(every_s):
                self.fire_due()

        thread = threading.Thread(target=loop, name="schedule-runner", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _list(self) -> list[dict[str, Any]]:
        pages = self._scheduler.get_paginator("list_schedules").paginate(GroupName=self._group_name)
        return [summary for page in pages for summary in page["Schedules"]]

    def _start(self, name: str, target: dict[str, Any]) -> None:
        execution = f"{name}-{int(self._clock())}"[:80]
        self._stepfunctions.start_execution(
            stateMachineArn=target["Arn"], name=execution, input=target.get("Input", "{}")
        )
