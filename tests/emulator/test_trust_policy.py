"""STS AssumeRole evaluates the target role's trust policy, in-process and in the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.emulator import lambda_execution_credentials
from tests.emulator.conftest import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PLATFORM,
    PLATFORM_PRINCIPAL,
    Aws,
    allow,
    trust,
)

EXTERNAL_ID = "skylight-tenant-7f3a"


def assert_denied(error: pytest.ExceptionInfo[ClientError], caller_arn: str, role_arn: str) -> None:
    response: dict[str, Any] = error.value.response
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Message"] == (
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


def test_right_external_id_lands_in_the_customer_account(
    aws: Aws, platform_principal: dict[str, str]
) -> None:
    role = aws.create_role(CUSTOMER, "SkylightReadOnly", trust(external_id=EXTERNAL_ID))

    credentials = aws.assume(role, EXTERNAL_ID, credentials=platform_principal)

    identity = aws.client("sts", credentials=credentials).get_caller_identity()
    assert identity["Account"] == CUSTOMER
    assert identity["Arn"] == f"arn:aws:sts::{CUSTOMER}:assumed-role/SkylightReadOnly/skylight"


@pytest.mark.parametrize("external_id", ["wrong-external-id", None], ids=["wrong", "missing"])
def test_wrong_or_missing_external_id_is_denied(
    aws: Aws, platform_principal: dict[str, str], external_id: str | None
) -> None:
    role = aws.create_role(CUSTOMER, "SkylightReadOnly", trust(external_id=EXTERNAL_ID))

    with pytest.raises(ClientError) as error:
        aws.assume(role, external_id, credentials=platform_principal)

    session = f"arn:aws:sts::{PLATFORM}:assumed-role/Skylight-platform-principal/skylight"
    assert_denied(error, session, role)


def test_string_like_external_id(aws: Aws, platform_principal: dict[str, str]) -> None:
    role = aws.create_role(CUSTOMER, "Like", trust(external_id="skylight-*", operator="StringLike"))

    assert aws.assume(role, EXTERNAL_ID, credentials=platform_principal)["AccessKeyId"]
    with pytest.raises(ClientError):
        aws.assume(role, "other-tenant", credentials=platform_principal)


def test_principal_not_named_is_denied(aws: Aws, platform_principal: dict[str, str]) -> None:
    role = aws.create_role(
        CUSTOMER, "TrustsSomeoneElse", trust(f"arn:aws:iam::{OTHER_CUSTOMER}:root", EXTERNAL_ID)
    )

    with pytest.raises(ClientError) as error:
        aws.assume(role, EXTERNAL_ID, credentials=platform_principal)

    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_a_named_role_is_not_any_other_principal_of_its_account(aws: Aws) -> None:
    """The trust names the platform principal role: another role of the platform account may not
    assume, even one whose own policy allows sts:AssumeRole on every role."""
    role = aws.create_role(CUSTOMER, "SkylightReadOnly", trust(PLATFORM_PRINCIPAL, EXTERNAL_ID))

    with pytest.raises(ClientError) as error:
        aws.assume(role, EXTERNAL_ID)

    assert_denied(error, f"arn:aws:sts::{PLATFORM}:assumed-role/platform-caller/skylight", role)


@pytest.mark.parametrize("principal", [f"arn:aws:iam::{PLATFORM}:root", "*"])
def test_an_account_root_may_not_assume_roles(aws: Aws, principal: str) -> None:
    """As in AWS, whatever the trust policy says (even a principal of `*`)."""
    role = aws.create_role(CUSTOMER, "TrustsEveryone", trust(principal))

    with pytest.raises(ClientError) as error:
        aws.client("sts").assume_role(RoleArn=role, RoleSessionName="root")

    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.value.response["Error"]["Message"] == "Roles may not be assumed by root accounts."


@pytest.mark.parametrize("principal", [f"arn:aws:iam::{PLATFORM}:root", PLATFORM, [OTHER_CUSTOMER, PLATFORM]])
def test_account_principal_trusts_every_caller_of_that_account(
    aws: Aws, platform_principal: dict[str, str], principal: Any
) -> None:
    role = aws.create_role(CUSTOMER, "TrustsPlatformAccount", trust(principal, EXTERNAL_ID))

    assert aws.assume(role, EXTERNAL_ID)["AccessKeyId"]  # one role session of the account
    assert aws.assume(role, EXTERNAL_ID, credentials=platform_principal)["AccessKeyId"]  # another


def test_an_account_principal_needs_the_callers_own_permission(aws: Aws) -> None:
    """A trust naming an account delegates to that account's IAM: the caller's identity policy must
    allow sts:AssumeRole on the role too."""
    role = aws.create_role(CUSTOMER, "TrustsPlatformAccount", trust(PLATFORM, EXTERNAL_ID))
    aws.create_role(PLATFORM, "no-assume", trust(service="lambda.amazonaws.com"), allow("ec2:Describe*"))
    session = lambda_execution_credentials(f"arn:aws:iam::{PLATFORM}:role/no-assume", "skylight")

    with pytest.raises(ClientError) as error:
        aws.assume(role, EXTERNAL_ID, credentials=session)

    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert (
        "no identity-based policy allows the sts:AssumeRole action"
        in (error.value.response["Error"]["Message"])
    )


def test_iam_user_is_named_by_its_arn(aws: Aws) -> None:
    iam = aws.client("iam")
    user_arn = iam.create_user(UserName="operator")["User"]["Arn"]
    policy = json.dumps(allow("sts:AssumeRole"))  # cross-account: the caller's own IAM must allow
    iam.put_user_policy(UserName="operator", PolicyName="assume", PolicyDocument=policy)
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    credentials = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    named = aws.create_role(CUSTOMER, "TrustsOperator", trust(user_arn))
    other = aws.create_role(CUSTOMER, "TrustsPrincipal", trust(PLATFORM_PRINCIPAL))

    assert _assume_as_user(aws, credentials, named)["AccessKeyId"]
    with pytest.raises(ClientError) as error:
        _assume_as_user(aws, credentials, other)
    assert_denied(error, user_arn, other)


def _assume_as_user(aws: Aws, credentials: dict[str, str], role_arn: str) -> dict[str, str]:
    from local.emulator import client_for_account

    sts = client_for_account(
        "sts",
        None,
        aws.endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
    )
    result: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="operator")["Credentials"]
    return result


def test_non_existent_role_is_denied(aws: Aws, platform_principal: dict[str, str]) -> None:
    role = f"arn:aws:iam::{CUSTOMER}:role/DoesNotExist"

    with pytest.raises(ClientError) as error:
        aws.assume(role, EXTERNAL_ID, credentials=platform_principal)

    session = f"arn:aws:sts::{PLATFORM}:assumed-role/Skylight-platform-principal/skylight"
    assert_denied(error, session, role)


@pytest.mark.parametrize("external_id", ["anything-at-all", None], ids=["any", "none"])
def test_trust_without_external_id_condition_lets_any_external_id_through(
    aws: Aws, platform_principal: dict[str, str], external_id: str | None
) -> None:
    role = aws.create_role(CUSTOMER, "Insecure", trust())

    assert aws.assume(role, external_id, credentials=platform_principal)["AccessKeyId"]


def test_deny_wins(aws: Aws, platform_principal: dict[str, str]) -> None:
    policy = trust(external_id=EXTERNAL_ID)
    policy["Statement"].append(
        {"Effect": "Deny", "Principal": {"AWS": PLATFORM_PRINCIPAL}, "Action": "sts:*"},
    )
    role = aws.create_role(CUSTOMER, "Denied", policy)

    with pytest.raises(ClientError) as error:
        aws.assume(role, EXTERNAL_ID, credentials=platform_principal)

    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_same_account_roles_are_checked(aws: Aws, platform_principal: dict[str, str]) -> None:
    """Skylight's functions assume the platform principal: its trust names specific roles."""
    # Neither has an identity grant: within one account, a trust naming the role is enough.
    worker = aws.create_role(PLATFORM, "worker", trust(f"arn:aws:iam::{PLATFORM}:root"))
    stranger = aws.create_role(PLATFORM, "stranger", trust(f"arn:aws:iam::{PLATFORM}:root"))
    target = aws.create_role(PLATFORM, "platform-target", trust(worker))

    assert aws.assume(target, credentials=aws.assume(worker))["AccessKeyId"]
    with pytest.raises(ClientError) as error:
        aws.assume(target, credentials=aws.assume(stranger))
    message = error.value.response["Error"]["Message"]
    stranger_session = f"arn:aws:sts::{PLATFORM}:assumed-role/stranger/skylight"
    assert message.startswith(f"User: {stranger_session} is not authorized to perform: sts:AssumeRole")
    with pytest.raises(ClientError) as error:
        aws.assume(target)  # nor is any other role of the account
    assert_denied(error, f"arn:aws:sts::{PLATFORM}:assumed-role/platform-caller/skylight", target)
