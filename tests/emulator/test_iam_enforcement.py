"""Every user and role session is held to its policies, the platform's own included: resources,
conditions, KMS key policies and iam:PassRole as AWS evaluates them. Account roots are not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.emulator import lambda_execution_credentials
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

    narrowed = aws.client("sts", credentials=aws.platform_caller()).assume_role(
        RoleArn=f"arn:aws:iam::{CUSTOMER}:role/SkylightReadOnly",
        RoleSessionName="narrow",
        ExternalId=EXTERNAL_ID,
        Policy=json.dumps(allow("ec2:DescribeVpcs")),
    )["Credentials"]
    assert aws.client("ec2", credentials=narrowed).describe_vpcs()["Vpcs"] is not None
    assert error_of(aws.client("s3", credentials=narrowed).list_buckets)["Code"] == "AccessDenied"


def platform_session(aws: Aws, name: str, policy: dict[str, Any]) -> dict[str, str]:
    """A session of a platform-account role with `policy`, as Lambda hands one to a function."""
    aws.create_role(PLATFORM, name, trust(service="lambda.amazonaws.com"), policy)
    return lambda_execution_credentials(f"arn:aws:iam::{PLATFORM}:role/{name}", "skylight")


def test_platform_sessions_are_held_to_their_policies(aws: Aws) -> None:
    session = platform_session(aws, "platform-describe-only", allow("ec2:Describe*"))

    assert aws.client("ec2", credentials=session).describe_vpcs()["Vpcs"] is not None
    assert error_of(aws.client("s3", credentials=session).list_buckets)["Code"] == "AccessDenied"
    denied = error_of(aws.client("lambda", credentials=session).list_functions)
    assert denied["Code"] == "AccessDeniedException"
    aws.client("s3").create_bucket(Bucket="platform-bucket")  # the account root is not restricted
    assert aws.client("rds").describe_db_instances()["DBInstances"] == []


def table(aws: Aws, name: str) -> str:
    arn: str = aws.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    return arn


def test_a_grant_on_one_table_applies_there_only(aws: Aws) -> None:
    accounts, secrets = table(aws, "accounts"), table(aws, "secrets")
    policy = allow("dynamodb:GetItem", "dynamodb:PutItem", resource=accounts)
    dynamodb = aws.client("dynamodb", credentials=platform_session(aws, "accounts-only", policy))
    key = {"pk": {"S": "a"}}

    dynamodb.put_item(TableName="accounts", Item=key)
    assert dynamodb.get_item(TableName="accounts", Key=key)["Item"] == key
    denied = error_of(dynamodb.get_item, TableName="secrets", Key=key)
    assert denied["Code"] == "AccessDeniedException"
    assert f"dynamodb:GetItem on resource: {secrets} " in denied["Message"]
    # A batch is refused when any of its tables is out of reach.
    batch = {"accounts": {"Keys": [key]}, "secrets": {"Keys": [key]}}
    assert error_of(dynamodb.batch_get_item, RequestItems=batch)["Code"] == "AccessDeniedException"


def test_a_deny_on_one_arn_applies_there_only(aws: Aws) -> None:
    table(aws, "accounts")
    secrets = table(aws, "secrets")
    policy = allow("dynamodb:GetItem")
    policy["Statement"].append({"Effect": "Deny", "Action": "dynamodb:*", "Resource": secrets})
    dynamodb = aws.client("dynamodb", credentials=platform_session(aws, "all-but-secrets", policy))
    key = {"pk": {"S": "a"}}

    assert "Item" not in dynamodb.get_item(TableName="accounts", Key=key)
    denied = error_of(dynamodb.get_item, TableName="secrets", Key=key)
    assert "with an explicit deny" in denied["Message"]


def test_a_grant_on_one_state_machine_applies_there_only(aws: Aws) -> None:
    sfn = aws.client("stepfunctions")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    role = aws.create_role(PLATFORM, "sfn", trust(service="states.amazonaws.com"))
    crawl, other = (
        sfn.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"]
        for name in ("crawl", "other")
    )
    session = platform_session(aws, "starts-crawls", allow("states:StartExecution", resource=crawl))
    starter = aws.client("stepfunctions", credentials=session)

    assert starter.start_execution(stateMachineArn=crawl)["executionArn"]
    denied = error_of(starter.start_execution, stateMachineArn=other)
    assert f"states:StartExecution on resource: {other} " in denied["Message"]


VAULT_CONTEXT = {"tenant_id": "t", "account_id": "a", "purpose": "aws_access_key"}


def key_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_kms_follows_the_key_policy_and_the_identity_policy(aws: Aws) -> None:
    root = f"arn:aws:iam::{PLATFORM}:root"
    named = f"arn:aws:iam::{PLATFORM}:role/named-in-key-policy"
    admin_only = {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:Describe*", "Resource": "*"}
    use = {"Effect": "Allow", "Principal": {"AWS": named}, "Action": "kms:GenerateDataKey", "Resource": "*"}
    kms = aws.client("kms")
    # The default key policy delegates to IAM; this one names one role and keeps the root admin-only.
    delegated = kms.create_key()["KeyMetadata"]["Arn"]
    explicit = kms.create_key(Policy=key_policy(admin_only, use))["KeyMetadata"]["Arn"]
    with_identity = platform_session(aws, "has-identity-grant", allow("kms:GenerateDataKey"))
    named_session = platform_session(aws, "named-in-key-policy", allow("ec2:Describe*"))
    data_key = {"KeySpec": "AES_256"}

    assert aws.client("kms", credentials=with_identity).generate_data_key(KeyId=delegated, **data_key)
    denied = error_of(
        aws.client("kms", credentials=with_identity).generate_data_key, KeyId=explicit, **data_key
    )
    assert denied["Code"] == "AccessDeniedException"
    # Named in the key policy: no identity grant needed.
    assert aws.client("kms", credentials=named_session).generate_data_key(KeyId=explicit, **data_key)
    assert error_of(
        aws.client("kms", credentials=named_session).generate_data_key, KeyId=delegated, **data_key
    )


def test_kms_encryption_context_conditions(aws: Aws) -> None:
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    policy = allow("kms:GenerateDataKey", resource=key)
    policy["Statement"][0]["Condition"] = {
        "StringEquals": {"kms:EncryptionContext:purpose": "aws_access_key"},
        "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant_id", "account_id", "purpose"]},
        "Null": {"kms:EncryptionContext:tenant_id": "false"},
    }
    kms = aws.client("kms", credentials=platform_session(aws, "vault-writer", policy))
    sealed = {"KeyId": key, "KeySpec": "AES_256"}

    assert kms.generate_data_key(EncryptionContext=VAULT_CONTEXT, **sealed)["CiphertextBlob"]
    for context in (
        {**VAULT_CONTEXT, "purpose": "other"},
        {**VAULT_CONTEXT, "extra": "x"},
        {"account_id": "a", "purpose": "aws_access_key"},
        {},
    ):
        assert error_of(kms.generate_data_key, EncryptionContext=context, **sealed)["Code"] == (
            "AccessDeniedException"
        )


def test_handing_a_role_to_a_schedule_needs_pass_role(aws: Aws) -> None:
    target_role = aws.create_role(PLATFORM, "scheduler-target", trust(service="scheduler.amazonaws.com"))
    target = {"Arn": f"arn:aws:states:us-east-1:{PLATFORM}:stateMachine:crawl", "RoleArn": target_role}
    schedule = {"ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}
    without = aws.client("scheduler", credentials=platform_session(aws, "no-pass", allow("scheduler:*")))
    pass_role = allow("scheduler:*")
    pass_role["Statement"].append(
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": target_role,
            "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        }
    )
    scheduler = aws.client("scheduler", credentials=platform_session(aws, "passes", pass_role))

    denied = error_of(without.create_schedule, Name="a", **schedule)
    assert f"iam:PassRole on resource: {target_role} " in denied["Message"]
    assert scheduler.create_schedule(Name="b", **schedule)["ScheduleArn"].endswith(":schedule/default/b")


def test_organization_conditions(aws: Aws) -> None:
    """`aws:ResourceOrgID` against `${aws:PrincipalOrgID}`: a Deny on the caller's own organization."""
    organizations = aws.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="member", Email="m@example.com")
    member_id = member["CreateAccountStatus"]["AccountId"]
    policy = allow("sts:AssumeRole")
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}},
        }
    )
    session = platform_session(aws, "outside-only", policy)
    inside = aws.create_role(member_id, "Inside", trust(f"arn:aws:iam::{PLATFORM}:root"))
    outside = aws.create_role(CUSTOMER, "Outside", trust(f"arn:aws:iam::{PLATFORM}:root"))

    assert aws.assume(outside, credentials=session)["AccessKeyId"]
    with pytest.raises(ClientError) as error:
        aws.assume(inside, credentials=session)
    assert "with an explicit deny" in error.value.response["Error"]["Message"]


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


def test_a_transaction_needs_the_action_of_each_part(aws: Aws) -> None:
    """IAM has no TransactWriteItems action: each part is authorized as PutItem, DeleteItem, ..."""
    accounts = table(aws, "accounts")
    policy = allow("dynamodb:PutItem", "dynamodb:ConditionCheckItem", resource=accounts)
    dynamodb = aws.client("dynamodb", credentials=platform_session(aws, "puts-only", policy))
    put = {"Put": {"TableName": "accounts", "Item": {"pk": {"S": "a"}}}}
    check = {
        "ConditionCheck": {
            "TableName": "accounts",
            "Key": {"pk": {"S": "b"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    delete = {"Delete": {"TableName": "accounts", "Key": {"pk": {"S": "a"}}}}

    dynamodb.transact_write_items(TransactItems=[put, check])
    denied = error_of(dynamodb.transact_write_items, TransactItems=[delete])
    assert f"dynamodb:DeleteItem on resource: {accounts} " in denied["Message"]
