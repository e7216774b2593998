"""Per-account crawl schedules (EventBridge Scheduler) behind an interface."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Protocol

from skylight.gateways.clients import FirstUseClient


class CrawlScheduler(Protocol):
    def ensure(self, tenant_id: str, account_id: str, every_minutes: int) -> None:
        """Create or update the account's schedule (idempotent)."""
        ...

    def delete(self, account_id: str) -> None:
        """Remove the account's schedule; nothing to do if there is none."""
        ...


def schedule_name(account_id: str) -> str:
    return f"crawl-{account_id}"


def flexible_window_minutes(every_minutes: int) -> int:
    """Let Scheduler spread the crawls of many accounts: up to a quarter of the interval, at most 15."""
    return max(1, min(15, every_minutes // 4))


class EventBridgeCrawlScheduler:
    """Schedules that start the account workflow directly (no function in between)."""

    def __init__(
        self,
        group_name: str,
        state_machine_arn: str,
        role_arn: str,
        region: str,
        client: Any = None,
    ) -> None:
        self._group_name = group_name
        self._state_machine_arn = state_machine_arn
        self._role_arn = role_arn
        self._region = region
        self._client = client

    client = FirstUseClient("scheduler")

    def ensure(self, tenant_id: str, account_id: str, every_minutes: int) -> None:
        definition = {
            "Name": schedule_name(account_id),
            "GroupName": self._group_name,
            "ScheduleExpression": f"rate({every_minutes} minutes)",
            "FlexibleTimeWindow": {
                "Mode": "FLEXIBLE",
                "MaximumWindowInMinutes": flexible_window_minutes(every_minutes),
            },
            "Target": {
                "Arn": self._state_machine_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(
                    {"tenant_id": tenant_id, "account_id": account_id, "trigger": "schedule"}
                ),
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
            },
            "State": "ENABLED",
            "Description": "Skylight: crawl one account's inventory",
        }
        try:
            self.client.create_schedule(**definition)
        except self.client.exceptions.ConflictException:
            self.client.update_schedule(**definition)

    def delete(self, account_id: str) -> None:
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_schedule(Name=schedule_name(account_id), GroupName=self._group_name)
