"""Long-term access keys are authenticated as AWS does; root users' keys exist and say so."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.emulator import client_for_account
from tests.emulator.conftest import CUSTOMER, SESSION, Aws, allow


def key_client(aws: Aws, service: str, key_id: str, secret: str) -> Any:
    return client_for_account(
        service,
        None,
        aws.endpoint_url,
        "us-east-1",
        SESSION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def user_key(aws: Aws, policy: dict[str, Any] | None = None) -> dict[str, str]:
    iam = aws.client("iam", CUSTOMER)
    iam.create_user(UserName="reader")
    if policy is not None:
        iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps(policy))
    key: dict[str, str] = iam.create_access_key(UserName="reader")["AccessKey"]
    return key


def refusal(call: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_a_users_key_works_with_its_secret_only(aws: Aws) -> None:
    key = user_key(aws)
    sts = key_client(aws, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{CUSTOMER}:user/reader"

    wrong = key_client(aws, "sts", key["AccessKeyId"], "w" * 40)
    assert refusal(wrong.get_caller_identity) == (403, "SignatureDoesNotMatch")
    assert refusal(key_client(aws, "ec2", key["AccessKeyId"], "w" * 40).describe_instances) == (
        403,
        "AuthFailure",
    )


def test_unknown_and_deactivated_keys_are_invalid(aws: Aws) -> None:
    unknown = key_client(aws, "sts", "AKIA" + "X" * 16, "s" * 40)
    assert refusal(unknown.get_caller_identity) == (403, "InvalidClientTokenId")

    key = user_key(aws)
    aws.client("iam", CUSTOMER).update_access_key(
        UserName="reader", AccessKeyId=key["AccessKeyId"], Status="Inactive"
    )
    inactive = key_client(aws, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert refusal(inactive.get_caller_identity) == (403, "InvalidClientTokenId")


def test_signatures_of_every_protocol_are_checked_right(aws: Aws) -> None:
    key = user_key(aws, allow("iam:ListAccessKeys", "ec2:Describe*", "lambda:List*", "s3:ListAllMyBuckets"))
    secret = key["SecretAccessKey"]
    # query (POST form), ec2, rest-json with a query string, rest-xml: all accepted with the right secret.
    keys = key_client(aws, "iam", key["AccessKeyId"], secret).list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
    assert key_client(aws, "ec2", key["AccessKeyId"], secret).describe_instances()["Reservations"] == []
    assert key_client(aws, "lambda", key["AccessKeyId"], secret).list_functions(MaxItems=1)["Functions"] == []
    assert key_client(aws, "s3", key["AccessKeyId"], secret).list_buckets()["Buckets"] == []


def test_a_users_key_is_held_to_the_users_policies(aws: Aws) -> None:
    key = user_key(aws, allow("ec2:Describe*"))
    assert (
        key_client(aws, "ec2", key["AccessKeyId"], key["SecretAccessKey"]).describe_instances()[
            "Reservations"
        ]
        == []
    )
    s3 = key_client(aws, "s3", key["AccessKeyId"], key["SecretAccessKey"])
    assert refusal(s3.list_buckets) == (403, "AccessDenied")


def test_the_root_user_can_create_its_own_key_and_it_says_root(aws: Aws) -> None:
    key = aws.client("iam", CUSTOMER).create_access_key()["AccessKey"]
    sts = key_client(aws, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{CUSTOMER}:root"
    # Root is never restricted by policies.
    assert key_client(aws, "s3", key["AccessKeyId"], key["SecretAccessKey"]).list_buckets()["Buckets"] == []
