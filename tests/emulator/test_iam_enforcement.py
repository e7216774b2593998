"""Sessions of customer-account roles are held to the role's policies; the platform is not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import CUSTOMER, PLATFORM, Aws, allow, trust

EXTERNAL_ID = "skylight-tenant-7f3a"
AMI = "ami-12c6146b"


def customer_session(aws: Aws, policy: dict[str, Any] | None, managed: str | None = None) -> dict[str, str]:
    """Credentials of a session of a customer role with `policy` inline (and `managed` attached)."""
    platform_root = f"arn:aws:iam::{PLATFORM}:root"
    role = aws.create_role(CUSTOMER, "SkylightReadOnly", trust(platform_root, EXTERNAL_ID), policy)
    if managed is not None:
        aws.client("iam", CUSTOMER).attach_role_policy(RoleName="SkylightReadOnly", PolicyArn=managed)
    return aws.assume(role, EXTERNAL_ID)


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    response: dict[str, Any] = error.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return response["Error"]


def test_describe_only_role(aws: Aws) -> None:
    session = customer_session(aws, allow("ec2:Describe*"))
    arn = f"arn:aws:sts::{CUSTOMER}:assumed-role/SkylightReadOnly/skylight"

    assert aws.client("ec2", credentials=session).describe_instances()["Reservations"] == []
    assert aws.client("sts", credentials=session).get_caller_identity()["Arn"] == arn

    s3 = error_of(aws.client("s3", credentials=session).list_buckets)
    assert s3["Code"] == "AccessDenied"
    assert "s3:ListAllMyBuckets" in s3["Message"]
    assert (
        error_of(aws.client("lambda", credentials=session).list_functions)["Code"] == "AccessDeniedException"
    )
    rds = error_of(aws.client("rds", credentials=session).describe_db_instances)
    assert rds["Code"] == "AccessDenied"
    assert rds["Message"] == (
        f"User: {arn} is not authorized to perform: rds:DescribeDBInstances "
        "because no identity-based policy allows the rds:DescribeDBInstances action"
    )
    autoscaling = aws.client("autoscaling", credentials=session)
    assert error_of(autoscaling.describe_auto_scaling_groups)["Code"] == "AccessDenied"
    sts = aws.client("sts", credentials=session)
    assert error_of(sts.get_session_token)["Code"] == "AccessDenied"


def test_ec2_dry_run(aws: Aws) -> None:
    session = customer_session(aws, allow("ec2:Describe*", "ec2:CreateTags"))
    ec2 = aws.client("ec2", credentials=session)
    tags = {"Resources": ["i-1234567890abcdef0"], "Tags": [{"Key": "k", "Value": "v"}], "DryRun": True}

    assert error_of_any(ec2.create_tags, **tags)["Code"] == "DryRunOperation"
    denied = error_of(ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1, DryRun=True)
    assert denied["Code"] == "UnauthorizedOperation"
    assert denied["Message"].startswith(
        "You are not authorized to perform this operation. User: arn:aws:sts::"
    )


def error_of_any(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    result: dict[str, Any] = error.value.response["Error"]
    return result


def test_explicit_deny_wins(aws: Aws) -> None:
    policy = allow("ec2:*")
    policy["Statement"].append({"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"})
    ec2 = aws.client("ec2", credentials=customer_session(aws, policy))

    assert ec2.describe_vpcs()["Vpcs"] is not None
    denied = error_of(ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1)
    assert denied["Code"] == "UnauthorizedOperation"
    assert "explicit deny" in denied["Message"]


def test_aws_managed_read_only_access(aws: Aws) -> None:
    session = customer_session(aws, None, managed="arn:aws:iam::aws:policy/ReadOnlyAccess")

    assert aws.client("s3", credentials=session).list_buckets()["Buckets"] == []
    assert aws.client("rds", credentials=session).describe_db_instances()["DBInstances"] == []
    assert aws.client("apigatewayv2", credentials=session).get_apis()["Items"] == []  # apigateway:GET
    ec2 = aws.client("ec2", credentials=session)
    assert error_of(ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1)["Code"] == "UnauthorizedOperation"


def test_customer_managed_policy_and_session_policy(aws: Aws) -> None:
    iam = aws.client("iam", CUSTOMER)
    arn = iam.create_policy(
        PolicyName="describe", PolicyDocument=json.dumps(allow("ec2:Describe*", "s3:List*"))
    )
    session = customer_session(aws, None, managed=arn["Policy"]["Arn"])
    assert aws.client("s3", credentials=session).list_buckets()["Buckets"] == []

    narrowed = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{CUSTOMER}:role/SkylightReadOnly",
        RoleSessionName="narrow",
        ExternalId=EXTERNAL_ID,
        Policy=json.dumps(allow("ec2:DescribeVpcs")),
    )["Credentials"]
    assert aws.client("ec2", credentials=narrowed).describe_vpcs()["Vpcs"] is not None
    assert error_of(aws.client("s3", credentials=narrowed).list_buckets)["Code"] == "AccessDenied"


def test_platform_calls_are_unrestricted(aws: Aws) -> None:
    restricted = trust(f"arn:aws:iam::{PLATFORM}:root")
    role = aws.create_role(PLATFORM, "platform-describe-only", restricted, allow("ec2:Describe*"))
    session = aws.assume(role)

    assert aws.client("s3", credentials=session).list_buckets()["Buckets"] == []
    assert aws.client("lambda", credentials=session).list_functions()["Functions"] == []
    aws.client("s3").create_bucket(Bucket="platform-bucket")
    assert aws.client("rds").describe_db_instances()["DBInstances"] == []


def test_customer_account_root_is_unrestricted(aws: Aws) -> None:
    s3 = aws.client("s3", CUSTOMER)
    s3.create_bucket(Bucket="customer-bucket")

    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["customer-bucket"]


def test_permissions_boundary_caps_the_role(aws: Aws) -> None:
    iam = aws.client("iam", CUSTOMER)
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(allow("ec2:Describe*")))
    role = aws.create_role(
        CUSTOMER, "Bounded", trust(f"arn:aws:iam::{PLATFORM}:root", EXTERNAL_ID), allow("ec2:*", "s3:*")
    )
    iam.put_role_permissions_boundary(RoleName="Bounded", PermissionsBoundary=boundary["Policy"]["Arn"])
    session = aws.assume(role, EXTERNAL_ID)

    assert aws.client("ec2", credentials=session).describe_vpcs()["Vpcs"] is not None
    assert error_of(aws.client("s3", credentials=session).list_buckets)["Code"] == "AccessDenied"
