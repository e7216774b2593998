"""What Skylight may do in a customer account, and the harmless calls that prove it can.

The policies shown to tenants and the probes run at connect time come from the same table, so the
two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skylight.models.domain import Access


@dataclass(frozen=True)
class Probe:
    """One harmless call that shows whether an action is allowed."""

    service: str
    action: str
    kind: str  # "read" or "write"
    client: str  # boto3 client name
    operation: str  # boto3 method name
    arguments: dict[str, Any] = field(default_factory=dict)
    # Error codes that mean "allowed" (EC2 DryRun answers DryRunOperation when it would have worked).
    allowed_error_codes: tuple[str, ...] = ()


READ_PROBES: tuple[Probe, ...] = (
    Probe("ec2", "ec2:DescribeInstances", "read", "ec2", "describe_instances", {"MaxResults": 5}),
    Probe(
        "autoscaling",
        "autoscaling:DescribeAutoScalingGroups",
        "read",
        "autoscaling",
        "describe_auto_scaling_groups",
        {"MaxRecords": 1},
    ),
    Probe("s3", "s3:ListAllMyBuckets", "read", "s3", "list_buckets", {"MaxBuckets": 1}),
    Probe("rds", "rds:DescribeDBInstances", "read", "rds", "describe_db_instances", {"MaxRecords": 20}),
    Probe("lambda", "lambda:ListFunctions", "read", "lambda", "list_functions", {"MaxItems": 1}),
    Probe("ecs", "ecs:ListClusters", "read", "ecs", "list_clusters", {"maxResults": 1}),
    Probe("eks", "eks:ListClusters", "read", "eks", "list_clusters", {"maxResults": 1}),
    Probe(
        "elasticloadbalancing",
        "elasticloadbalancing:DescribeLoadBalancers",
        "read",
        "elbv2",
        "describe_load_balancers",
        {"PageSize": 1},
    ),
    Probe("dynamodb", "dynamodb:ListTables", "read", "dynamodb", "list_tables", {"Limit": 1}),
)

# A DryRun changes nothing; the instance id is well-formed but never used for real.
WRITE_PROBES: tuple[Probe, ...] = (
    Probe(
        "ec2",
        "ec2:StopInstances",
        "write",
        "ec2",
        "stop_instances",
        {"InstanceIds": ["i-00000000000000000"], "DryRun": True},
        allowed_error_codes=("DryRunOperation",),
    ),
)

# Error codes AWS services use for "this identity may not do that".
DENIED_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
    }
)


def probes_for(access: Access) -> tuple[Probe, ...]:
    return READ_PROBES + (WRITE_PROBES if access is Access.READ_WRITE else ())


# Read actions beyond the probes that the crawler uses to describe what it lists.
_EXTRA_READ_ACTIONS = (
    "account:ListRegions",
    "ec2:DescribeRegions",
    "ec2:DescribeVolumes",
    "ec2:DescribeSnapshots",
    "ec2:DescribeImages",
    "ec2:DescribeVpcs",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeAddresses",
    "s3:GetBucketTagging",
    "rds:DescribeDBClusters",
    "rds:ListTagsForResource",
    "lambda:ListTags",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:DescribeClusters",
    "eks:DescribeCluster",
    "elasticloadbalancing:DescribeTags",
    "dynamodb:DescribeTable",
    "dynamodb:ListTagsOfResource",
    "tag:GetResources",
)

# Write actions a read-write connection grants, each kept narrow: operate, never delete or re-permission.
_WRITE_ACTIONS = (
    "ec2:StartInstances",
    "ec2:StopInstances",
    "ec2:RebootInstances",
    "ec2:CreateTags",
    "autoscaling:SetDesiredCapacity",
    "autoscaling:UpdateAutoScalingGroup",
    "ecs:UpdateService",
    "lambda:UpdateFunctionConfiguration",
    "rds:StartDBInstance",
    "rds:StopDBInstance",
    "rds:RebootDBInstance",
)


def read_actions() -> list[str]:
    return sorted({p.action for p in READ_PROBES} | set(_EXTRA_READ_ACTIONS))


def write_actions() -> list[str]:
    return sorted(set(_WRITE_ACTIONS) | {p.action for p in WRITE_PROBES})


WRITE_STATEMENT_SID = "SkylightOperate"


def permission_policy(access: Access, own_role_arn: Any = "*") -> dict[str, Any]:
    """The identity policy to attach to the customer role for an access level.

    `own_role_arn` scopes iam:GetRole to the role itself, which lets Skylight check at every test that
    only the platform principal is trusted; templates pass a reference to the role they create.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "SkylightInventoryRead", "Effect": "Allow", "Action": read_actions(), "Resource": "*"},
        {
            "Sid": "SkylightReadOwnTrustPolicy",
            "Effect": "Allow",
            "Action": ["iam:GetRole"],
            "Resource": own_role_arn,
        },
    ]
    if access is Access.READ_WRITE:
        statements.append(
            {"Sid": WRITE_STATEMENT_SID, "Effect": "Allow", "Action": write_actions(), "Resource": "*"}
        )
    return {"Version": "2012-10-17", "Statement": statements}
