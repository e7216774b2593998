"""The EventBridge Scheduler group that will hold each account's recurring workflow schedule."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct


class ScheduleGroup(Construct):
    """A schedule group named after the stack, so schedules of two deployments never mix."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.group = scheduler.ScheduleGroup(
            self,
            "Group",
            schedule_group_name=f"{cdk.Stack.of(self).stack_name}-schedules",
            # Schedules only point at this stack's state machine: they are useless without it.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
