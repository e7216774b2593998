"""Per-account crawl schedules: the EventBridge Scheduler group and the role its schedules run as.

The API function creates one schedule per connected account (`crawl-<account id>`) and deletes it
on disconnect; each schedule starts the account workflow directly, with no function in between.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import nag


class CrawlSchedules(Construct):
    """A schedule group named after the stack, so schedules of two deployments never mix."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.group = scheduler.ScheduleGroup(
            self,
            "Group",
            schedule_group_name=f"{stack.stack_name}-schedules",
            # Schedules only point at this stack's state machine: they are useless without it.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.schedules_arn = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.group.schedule_group_name}/*",
        )
        # Scheduler may use this role only for schedules of this group in this account (confused deputy).
        self.role = iam.Role(
            self,
            "ExecutionRole",
            description="Runs Skylight's crawl schedules: starts the account workflow, nothing else",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": self.schedules_arn},
                },
            ),
        )

    def target(self, state_machine: sfn.IStateMachine) -> None:
        """The state machine the schedules start."""
        state_machine.grant_start_execution(self.role)

    def grant_manage(self, function: lambda_.IFunction) -> None:
        """Create, update and delete schedules of this group, running as this group's role only."""
        iam.Grant.add_to_principal(
            grantee=function,
            actions=[
                "scheduler:CreateSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
            ],
            resource_arns=[self.schedules_arn],
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        assert function.role is not None
        nag.wildcard_resource(
            function.role,
            self.schedules_arn,
            "Schedules are created per connected account at runtime (crawl-<account id>); the ARN "
            "pattern is limited to this stack's own schedule group.",
        )
