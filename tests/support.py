"""Test helpers shared by the integration and end-to-end suites: events, customer accounts, roles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local.emulator import client_for_account
from local.http_api import Route, build_event

PLATFORM_ACCOUNT = "123456789012"
PLATFORM_PRINCIPAL_ARN = "arn:aws:iam::123456789012:role/Skylight-platform-principal"
CUSTOMER_ACCOUNT = "111111111111"
OTHER_CUSTOMER_ACCOUNT = "222222222222"


def account_client(service: str, account_id: str, region: str = "us-east-1") -> Any:
    """A client that acts in another emulated account (in-process emulator)."""
    return client_for_account(service, account_id, region=region)


def trust_policy(principal: str = PLATFORM_PRINCIPAL_ARN, external_id: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


INVENTORY_READ = allow(
    "ec2:Describe*",
    "autoscaling:Describe*",
    "s3:ListAllMyBuckets",
    "rds:Describe*",
    "lambda:List*",
    "ecs:List*",
    "ecs:Describe*",
    "eks:List*",
    "eks:DescribeCluster",
    "elasticloadbalancing:Describe*",
    "dynamodb:ListTables",
    "dynamodb:DescribeTable",
    "iam:GetRole",
)


@dataclass
class CustomerRole:
    arn: str
    name: str
    account_id: str


def create_customer_role(
    account_id: str,
    name: str,
    trust: dict[str, Any],
    policy: dict[str, Any] | None = INVENTORY_READ,
) -> CustomerRole:
    iam = account_client("iam", account_id)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="skylight", PolicyDocument=json.dumps(policy))
    return CustomerRole(arn=arn, name=name, account_id=account_id)


def set_trust_policy(role: CustomerRole, trust: dict[str, Any]) -> None:
    account_client("iam", role.account_id).update_assume_role_policy(
        RoleName=role.name, PolicyDocument=json.dumps(trust)
    )


def api_event(
    method: str,
    path: str,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) event, built as the local API builds it for the function.

    `claims=None` is a request that reached the function without a verified token.
    """
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
    url = path + (f"?{urlencode(query)}" if query else "")
    headers = {"content-type": "application/json"}
    event = build_event(Route(method, path), {}, method, url, headers, text.encode(), claims or {})
    if claims is None:
        del event["requestContext"]["authorizer"]
    return event


class LambdaContext:
    function_name = "skylight-test"
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{PLATFORM_ACCOUNT}:function:skylight-test"
    aws_request_id = "test-invocation"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000
