"""Test helpers shared by the integration and end-to-end suites: events, customer accounts, roles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from local.emulator import client_for_account
from local.http_api import Route, build_event
from local.tokens import sign_claims

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
    "tag:GetResources",
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
    """An API Gateway HTTP API (payload v2) event, built as the local API builds it for the function:
    the bearer token carries `claims`, and the authorizer's claims are those, flattened.

    `claims=None` is a request that reached the function without a verified token.
    """
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
    url = path + (f"?{urlencode(query)}" if query else "")
    headers = {"content-type": "application/json"}
    if claims is not None:
        headers["authorization"] = f"Bearer {sign_claims(claims)}"
        # What the authorizer verified: the token's own claims (registered ones included).
        claims = jwt.decode(headers["authorization"][7:], options={"verify_signature": False})
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


@dataclass
class UserKey:
    """An IAM user's long-term access key in an emulated customer account."""

    access_key_id: str
    secret_access_key: str
    user_name: str
    account_id: str


# A key's user may read its own keys' creation dates (for the age warnings).
USER_READ = {
    "Version": "2012-10-17",
    "Statement": [
        *INVENTORY_READ["Statement"],
        {"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "*"},
    ],
}


def create_user_key(account_id: str, user_name: str, policy: dict[str, Any] | None = USER_READ) -> UserKey:
    """An IAM user (created on first use) with `policy` and a new access key."""
    iam = account_client("iam", account_id)
    if not any(u["UserName"] == user_name for u in iam.list_users()["Users"]):
        iam.create_user(UserName=user_name)
    if policy is not None:
        iam.put_user_policy(UserName=user_name, PolicyName="skylight", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return UserKey(key["AccessKeyId"], key["SecretAccessKey"], user_name, account_id)


def create_root_key(account_id: str) -> UserKey:
    """The account root user's own access key (what tenants must never hand over)."""
    key = account_client("iam", account_id).create_access_key()["AccessKey"]
    return UserKey(key["AccessKeyId"], key["SecretAccessKey"], "", account_id)


def access_key_credentials(key: UserKey, secret: str | None = None) -> dict[str, str]:
    return {
        "type": "access_key",
        "access_key_id": key.access_key_id,
        "secret_access_key": secret if secret is not None else key.secret_access_key,
    }


def access_key_body(key: UserKey, name: str = "keys", secret: str | None = None) -> dict[str, Any]:
    return {
        "provider": "aws",
        "name": name,
        "access": "read_only",
        "credentials": access_key_credentials(key, secret),
    }


def account_of(credentials: Any) -> str:
    """The AWS account the credentials (anything with access_key_id/secret_access_key) sign in to."""
    import boto3

    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )
    return str(sts.get_caller_identity()["Account"])


def verify_as_a_relying_party(token: str, audience: str, issuer: str, ca_bundle: str) -> dict[str, Any]:
    """Verify an identity token as GCP's STS and Entra ID do: the issuer's discovery document over
    verified HTTPS, its JWKS, the key named by the token's `kid`, then signature, issuer, audience
    and expiry."""
    import requests

    def fetch(url: str) -> Any:
        answer = requests.get(url, verify=ca_bundle, timeout=10)
        answer.raise_for_status()
        assert answer.headers["Content-Type"] == "application/json"
        return answer.json()

    configuration = fetch(f"{issuer}/.well-known/openid-configuration")
    assert configuration["issuer"] == issuer
    keys = fetch(configuration["jwks_uri"])["keys"]
    header = jwt.get_unverified_header(token)
    key = next((key for key in keys if key["kid"] == header["kid"]), None)
    if key is None:
        raise jwt.PyJWKClientError(f"the issuer publishes no key {header['kid']}")
    assert key["use"] == "sig"
    assert key["alg"] in configuration["id_token_signing_alg_values_supported"]
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=[key["alg"]],
        audience=audience,
        issuer=issuer,
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
    )
    return claims


def modules_loaded_by(script: str) -> list[str]:
    """The modules a fresh interpreter holds once it has run `script`, with only the functions'
    code on its path (as in a Lambda): what a handler or package imports, measured, not assumed."""
    import subprocess
    import sys

    from infra.config import FUNCTIONS_DIR, REPO_ROOT

    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", f"{script}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(FUNCTIONS_DIR), "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    modules: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return modules
