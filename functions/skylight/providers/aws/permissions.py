"""What Skylight may do in a customer account, and the harmless calls that prove it can.

The policies shown to tenants and the probes run at connect time come from the same tables: every
read action a crawl makes has a probe, and the read policy grants exactly the probed actions, so
what a connect reports is what crawls get.
"""

from __future__ import annotations

from collections.abc import Callable
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
    # Text in them may name `{partition}`, `{region}` and `{account}`: where the probe runs.
    arguments: dict[str, Any] = field(default_factory=dict)
    # Error codes that mean "allowed": EC2's DryRun answers DryRunOperation when it would have worked,
    # and a detail call about something that does not exist gets past IAM before it is not found.
    allowed_error_codes: tuple[str, ...] = ()
    # For an action AWS authorizes per resource: the resource part of the ARNs the policy grants it on.
    resource: str | None = None

    def arguments_in(self, partition: str, region: str, account_id: str | None) -> dict[str, Any]:
        """The call's arguments in the account probed (its partition, region and account filled in)."""
        where = {"partition": partition, "region": region, "account": account_id or ""}
        return {name: _filled(value, where) for name, value in self.arguments.items()}


def _filled(value: Any, where: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(where)
    if isinstance(value, list):
        return [_filled(item, where) for item in value]
    return value


# A name no customer resource has: detail calls about it are refused, or answered "not found".
PROBE_NAME = "skylight-permission-probe"
# EC2 answers a DryRun with DryRunOperation when the caller may make the call: nothing is listed.
_EC2_DRY_RUN = {"DryRun": True}
_DRY_RUN_ALLOWED = ("DryRunOperation",)


def _ec2_read(operation: str, action: str) -> Probe:
    return Probe("ec2", f"ec2:{action}", "read", "ec2", operation, _EC2_DRY_RUN, _DRY_RUN_ALLOWED)


# Every read action a crawl makes, each with its probe: the listings, the detail calls about what
# they list, the tagging API (tags of the types whose listings carry none), and the plan's regions.
# `tests/unit/test_resource_contract.py` checks that every call a resource module makes is here.
READ_PROBES: tuple[Probe, ...] = (
    Probe("ec2", "ec2:DescribeInstances", "read", "ec2", "describe_instances", {"MaxResults": 5}),
    _ec2_read("describe_volumes", "DescribeVolumes"),
    _ec2_read("describe_snapshots", "DescribeSnapshots"),
    _ec2_read("describe_images", "DescribeImages"),
    _ec2_read("describe_vpcs", "DescribeVpcs"),
    _ec2_read("describe_security_groups", "DescribeSecurityGroups"),
    _ec2_read("describe_addresses", "DescribeAddresses"),
    _ec2_read("describe_regions", "DescribeRegions"),
    Probe(
        "autoscaling",
        "autoscaling:DescribeAutoScalingGroups",
        "read",
        "autoscaling",
        "describe_auto_scaling_groups",
        {"MaxRecords": 1},
    ),
    Probe("s3", "s3:ListAllMyBuckets", "read", "s3", "list_buckets", {"MaxBuckets": 1}),
    Probe(
        "rds",
        "rds:DescribeDBInstances",
        "read",
        "rds",
        "describe_db_instances",
        {"MaxRecords": 20},
        resource="db:*",
    ),
    Probe(
        "rds",
        "rds:DescribeDBClusters",
        "read",
        "rds",
        "describe_db_clusters",
        {"MaxRecords": 20},
        resource="cluster:*",
    ),
    Probe("lambda", "lambda:ListFunctions", "read", "lambda", "list_functions", {"MaxItems": 1}),
    Probe("ecs", "ecs:ListClusters", "read", "ecs", "list_clusters", {"maxResults": 1}),
    # DescribeClusters reports a cluster that does not exist among its answer's failures.
    Probe(
        "ecs",
        "ecs:DescribeClusters",
        "read",
        "ecs",
        "describe_clusters",
        {"clusters": [PROBE_NAME]},
        resource="cluster/*",
    ),
    Probe(
        "ecs",
        "ecs:ListServices",
        "read",
        "ecs",
        "list_services",
        {"cluster": PROBE_NAME, "maxResults": 1},
        allowed_error_codes=("ClusterNotFoundException",),
    ),
    Probe(
        "ecs",
        "ecs:DescribeServices",
        "read",
        "ecs",
        "describe_services",
        {"cluster": PROBE_NAME, "services": [PROBE_NAME]},
        allowed_error_codes=("ClusterNotFoundException",),
        resource="service/*",
    ),
    Probe("eks", "eks:ListClusters", "read", "eks", "list_clusters", {"maxResults": 1}),
    Probe(
        "eks",
        "eks:DescribeCluster",
        "read",
        "eks",
        "describe_cluster",
        {"name": PROBE_NAME},
        allowed_error_codes=("ResourceNotFoundException",),
        resource="cluster/*",
    ),
    Probe(
        "elasticloadbalancing",
        "elasticloadbalancing:DescribeLoadBalancers",
        "read",
        "elbv2",
        "describe_load_balancers",
        {"PageSize": 1},
    ),
    # ELB may refuse an ARN of another region or account as malformed: the probe names its own.
    Probe(
        "elasticloadbalancing",
        "elasticloadbalancing:DescribeTags",
        "read",
        "elbv2",
        "describe_tags",
        {
            "ResourceArns": [
                "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/"
                f"{PROBE_NAME}/0000000000000000"
            ]
        },
        allowed_error_codes=("LoadBalancerNotFound",),
    ),
    Probe("dynamodb", "dynamodb:ListTables", "read", "dynamodb", "list_tables", {"Limit": 1}),
    Probe(
        "dynamodb",
        "dynamodb:DescribeTable",
        "read",
        "dynamodb",
        "describe_table",
        {"TableName": PROBE_NAME},
        allowed_error_codes=("ResourceNotFoundException",),
        resource="table/*",
    ),
    Probe(
        "tag",
        "tag:GetResources",
        "read",
        "resourcegroupstaggingapi",
        "get_resources",
        {"ResourcesPerPage": 1},
    ),
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
        allowed_error_codes=_DRY_RUN_ALLOWED,
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


# IAM names where they differ from boto3's: the service prefix, and actions named unlike operations.
_IAM_PREFIXES = {"elbv2": "elasticloadbalancing", "resourcegroupstaggingapi": "tag"}
_IAM_ACTIONS = {"s3:ListBuckets": "s3:ListAllMyBuckets"}


def iam_prefix(client: str) -> str:
    """The IAM service prefix of a boto3 client name (`elbv2` -> `elasticloadbalancing`)."""
    return _IAM_PREFIXES.get(client, client)


def iam_action(client: str, operation: str) -> str:
    """The IAM action a call needs: boto3 client name and API operation (`dynamodb`, `DescribeTable`)."""
    action = f"{iam_prefix(client)}:{operation}"
    return _IAM_ACTIONS.get(action, action)


@dataclass(frozen=True)
class Operate:
    """Write actions a read-write connection grants on one kind of resource.

    Only what starts, stops, reboots or scales: nothing that changes what code runs or as whom
    (task definitions, layers, launch templates, roles), permissions, or tags (which may gate access
    elsewhere)."""

    actions: tuple[str, ...]
    resource: str  # the resource part of the ARNs they are granted on
    condition: dict[str, Any] | None = None


# UpdateService's condition keys are those of the parameters that change more than the number of
# tasks: none of them may be in the request (Null), so only the desired count (and a redeployment
# of the same tasks) can change.
_DESIRED_COUNT_ONLY = {
    "Null": {
        key: "true"
        for key in (
            "ecs:task-definition",
            "ecs:task-cpu",
            "ecs:task-memory",
            "ecs:enable-execute-command",
            "ecs:enable-ebs-volumes",
            "ecs:capacity-provider",
            "ecs:enable-service-connect",
            "ecs:namespace",
            "ecs:enable-vpc-lattice",
            "ecs:subnet",
            "ecs:auto-assign-public-ip",
            "ecs:propagate-tags",
            "ecs:enable-ecs-managed-tags",
        )
    }
}

OPERATIONS: tuple[Operate, ...] = (
    Operate(("ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"), "instance/*"),
    # SetDesiredCapacity scales within the group's bounds; UpdateAutoScalingGroup could swap its
    # launch template (and so the code and instance role its instances start with): not granted.
    Operate(("autoscaling:SetDesiredCapacity",), "autoScalingGroup:*:autoScalingGroupName/*"),
    Operate(("ecs:UpdateService",), "service/*", _DESIRED_COUNT_ONLY),
    # Reserved concurrency scales a function (0 stops it); its configuration (layers, wrapper
    # scripts in its environment) is never granted.
    Operate(("lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"), "function:*"),
    Operate(("rds:StartDBInstance", "rds:StopDBInstance", "rds:RebootDBInstance"), "db:*"),
    Operate(("rds:StartDBCluster", "rds:StopDBCluster"), "cluster:*"),
)

# Names the resources a statement grants actions on: (ARN service, resource part) -> the Resource
# value, for the partition and account at hand (plain text, or a template's expression).
ArnOf = Callable[[str, str], Any]


def plain_arns(partition: str, account: str = "*") -> ArnOf:
    """ARNs of one partition, in every region, of `account` (`*`: whichever account the role is in)."""
    return lambda service, resource: f"arn:{partition}:{service}:*:{account}:{resource}"


def read_actions() -> list[str]:
    return sorted({p.action for p in READ_PROBES})


def write_actions() -> list[str]:
    return sorted({action for grant in OPERATIONS for action in grant.actions})


READ_STATEMENT_SID = "SkylightInventoryRead"
OWN_TRUST_POLICY_SID = "SkylightReadOwnTrustPolicy"
WRITE_STATEMENT_SID = "SkylightOperate"


def read_statements(own_role_arn: Any, arn_of: ArnOf) -> list[dict[str, Any]]:
    """Listing and describing: actions AWS authorizes per resource only on the resources they read."""
    anywhere = sorted({p.action for p in READ_PROBES if p.resource is None})
    statements: list[dict[str, Any]] = [
        {"Sid": READ_STATEMENT_SID, "Effect": "Allow", "Action": anywhere, "Resource": "*"}
    ]
    scoped = [p for p in READ_PROBES if p.resource is not None]
    for service in sorted({_prefix(p.action) for p in scoped}):
        of_service = [p for p in scoped if _prefix(p.action) == service]
        statements.append(
            {
                "Sid": f"{READ_STATEMENT_SID}{_title(service)}",
                "Effect": "Allow",
                "Action": sorted({p.action for p in of_service}),
                "Resource": _unique([arn_of(service, str(p.resource)) for p in of_service]),
            }
        )
    statements.append(
        {"Sid": OWN_TRUST_POLICY_SID, "Effect": "Allow", "Action": ["iam:GetRole"], "Resource": own_role_arn}
    )
    return statements


def write_statements(arn_of: ArnOf) -> list[dict[str, Any]]:
    """Operating: one statement per kind of resource, each on that kind only."""
    statements = []
    for grant in OPERATIONS:
        service = _prefix(grant.actions[0])
        kind = grant.resource.split(":")[0].split("/")[0]
        statement: dict[str, Any] = {
            "Sid": f"{WRITE_STATEMENT_SID}{_title(service)}{_title(kind)}",
            "Effect": "Allow",
            "Action": list(grant.actions),
            "Resource": arn_of(service, grant.resource),
        }
        if grant.condition is not None:
            statement["Condition"] = grant.condition
        statements.append(statement)
    return statements


def permission_policy(access: Access, own_role_arn: Any, arn_of: ArnOf) -> dict[str, Any]:
    """The identity policy to attach to the customer role for an access level.

    `own_role_arn` scopes iam:GetRole to the role itself, which lets Skylight check at every test that
    only the platform principal is trusted; `arn_of` names the resources per-resource actions are
    granted on (templates scope them to the account they create the role in).
    """
    statements = read_statements(own_role_arn, arn_of)
    if access is Access.READ_WRITE:
        statements += write_statements(arn_of)
    return {"Version": "2012-10-17", "Statement": statements}


def _prefix(action: str) -> str:
    return action.split(":", 1)[0]


def _title(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", " ").split())


def _unique(values: list[Any]) -> Any:
    unique = [value for index, value in enumerate(values) if value not in values[:index]]
    return unique[0] if len(unique) == 1 else unique
