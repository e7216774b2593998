"""Integration fixtures: the project's handlers against the emulated AWS boundary (moto, in-process)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.platform_policy import identity_token_policy, platform_principal_policy
from local.emulator import lambda_execution_credentials
from local.emulator.patches import install as install_emulator_patches
from skylight.config import get_settings
from skylight.gateways.sessions import shared_botocore_session
from skylight.handlers import dependencies
from skylight.providers import base as provider_registry
from skylight.vault import default_vault
from tests.support import PLATFORM_PRINCIPAL_ARN, LambdaContext, api_event

TABLE = "skylight-test"
SECRETS_TABLE = "skylight-test-secrets"
SCHEDULE_GROUP = "skylight-test-schedules"
# One session for the fixtures' own clients (the platform account's root, unrestricted): it keeps the
# service models loaded across tests.
ROOT_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SESSION = boto3.Session(region_name="us-east-1", **ROOT_KEYS)
PLATFORM = "123456789012"
#: The role the functions run as here: one role with every function's grants, each scoped to the
#: resources the stack scopes it to (the deployed stack gives each function a role of its own).
FUNCTIONS_ROLE_NAME = "skylight-test-functions"
FUNCTIONS_ROLE_ARN = f"arn:aws:iam::{PLATFORM}:role/{FUNCTIONS_ROLE_NAME}"
VAULT_KEY_ALIAS = "alias/skylight-vault"
CURSOR_KEY_ALIAS = "alias/skylight-cursors"


def create_table(name: str = TABLE) -> None:
    SESSION.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_platform_principal(*, allow_own_organization: bool = False) -> None:
    """The platform principal as deployed: trusted by the functions' role, with the stack's policy."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": FUNCTIONS_ROLE_ARN}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = SESSION.client("iam")
    name = PLATFORM_PRINCIPAL_ARN.split("/")[-1]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    policy = platform_principal_policy("aws", PLATFORM, allow_own_organization=allow_own_organization)
    iam.put_role_policy(RoleName=name, PolicyName="AssumeCustomerRoles", PolicyDocument=json.dumps(policy))
    minting = json.dumps(identity_token_policy())
    iam.put_role_policy(RoleName=name, PolicyName="MintIdentityTokens", PolicyDocument=minting)


def functions_policy(vault_key_arn: str, cursor_key_arn: str) -> dict[str, Any]:
    """What the stack lets its functions do, together, each grant on its own resources only."""
    region_account = f"us-east-1:{PLATFORM}"
    tables = [f"arn:aws:dynamodb:{region_account}:table/{name}" for name in (TABLE, SECRETS_TABLE)]
    machine = os.environ["STATE_MACHINE_ARN"]
    executions = machine.replace(":stateMachine:", ":execution:") + ":*"
    grants: list[tuple[str | list[str], list[str]]] = [
        ("dynamodb:*", tables + [f"{table}/index/*" for table in tables] + [f"{t}/stream/*" for t in tables]),
        (
            ["kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateMac", "kms:DescribeKey"],
            [vault_key_arn, cursor_key_arn],
        ),
        (
            ["states:StartExecution", "states:StopExecution", "states:DescribeExecution"],
            [machine, executions],
        ),
        ("scheduler:*", [f"arn:aws:scheduler:{region_account}:schedule/{SCHEDULE_GROUP}/*"]),
        ("iam:PassRole", [os.environ["SCHEDULER_ROLE_ARN"]]),
        ("sts:AssumeRole", [PLATFORM_PRINCIPAL_ARN]),
        (["iam:EnableOutboundWebIdentityFederation", "iam:GetOutboundWebIdentityFederationInfo"], ["*"]),
    ]
    statements = [
        {"Effect": "Allow", "Action": actions, "Resource": resources} for actions, resources in grants
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def run_functions_as_their_role(
    monkeypatch: pytest.MonkeyPatch, vault_key_arn: str, cursor_key_arn: str
) -> None:
    """Create the functions' role and hand its session to the functions, as Lambda does: in the
    environment, and to the process-wide session (which resolved its credentials once already)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = SESSION.client("iam")
    iam.create_role(RoleName=FUNCTIONS_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    policy = json.dumps(functions_policy(vault_key_arn, cursor_key_arn))
    iam.put_role_policy(RoleName=FUNCTIONS_ROLE_NAME, PolicyName="grants", PolicyDocument=policy)
    session = lambda_execution_credentials(FUNCTIONS_ROLE_ARN, "skylight-test-functions")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", session["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", session["SessionToken"])
    shared_botocore_session().set_credentials(
        session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )


def create_state_machine() -> None:
    """The account workflow as a placeholder that stays running: tests run the tasks themselves."""
    SESSION.client("stepfunctions").create_state_machine(
        name="skylight-account",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/skylight-test-workflow",
    )


def create_vault_key() -> str:
    """The vault's KMS key, under the alias the functions default to; its ARN."""
    kms = SESSION.client("kms")
    metadata = kms.create_key(Description="skylight vault")["KeyMetadata"]
    kms.create_alias(AliasName=VAULT_KEY_ALIAS, TargetKeyId=metadata["KeyId"])
    return str(metadata["Arn"])


def create_cursor_key() -> str:
    """The HMAC key the API derives its cursor signing key from (as the stack defines it); its ARN."""
    kms = SESSION.client("kms")
    metadata = kms.create_key(
        Description="skylight cursors", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
    )["KeyMetadata"]
    kms.create_alias(AliasName=CURSOR_KEY_ALIAS, TargetKeyId=metadata["KeyId"])
    return str(metadata["Arn"])


def stored_items() -> list[dict[str, Any]]:
    """Every item Skylight stored: the main table's and the secrets table's."""
    dynamodb = SESSION.client("dynamodb")
    items: list[dict[str, Any]] = []
    for table in (TABLE, SECRETS_TABLE):
        for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items += page["Items"]
    return items


def reset_caches() -> None:
    """Forget everything a container keeps: the next call behaves like the first in a new container."""
    dependencies.services.cache_clear()
    default_vault.cache_clear()
    dependencies.cursor_signer.cache_clear()
    provider_registry.forget_providers()
    get_settings.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh emulated platform account: the table, the platform principal, the vault and cursor keys."""
    install_emulator_patches()
    reset_caches()
    with mock_aws():
        create_table()
        # Sealed secrets in a table of their own, as deployed.
        create_table(SECRETS_TABLE)
        monkeypatch.setenv("SECRETS_TABLE_NAME", SECRETS_TABLE)
        create_platform_principal()
        SESSION.client("scheduler").create_schedule_group(Name=SCHEDULE_GROUP)
        create_state_machine()
        vault_key = create_vault_key()
        # The API function's configuration (the stack sets it on that function only).
        cursor_key = create_cursor_key()
        monkeypatch.setenv("CURSOR_KEY_ID", cursor_key)
        run_functions_as_their_role(monkeypatch, vault_key, cursor_key)
        get_settings.cache_clear()
        yield
    shared_botocore_session().set_credentials(
        ROOT_KEYS["aws_access_key_id"], ROOT_KEYS["aws_secret_access_key"]
    )
    reset_caches()


Response = tuple[int, Any]


@pytest.fixture
def api(aws: None) -> Callable[..., Response]:
    """Call the API function with an HTTP API event, as API Gateway would after verifying the token."""
    from skylight.handlers.api.app import lambda_handler

    def call(
        method: str,
        path: str,
        body: Any = None,
        tenant: str | None = "tenant-a",
        roles: Any = ("admin",),
        query: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> Response:
        # `roles`: the token's roles claim (a tuple stands for a JSON array; None: no such claim).
        claims = None if tenant is None else {"tenant_id": tenant, "sub": f"user-of-{tenant}"}
        if claims is not None and roles is not None:
            claims["roles"] = list(roles) if isinstance(roles, tuple) else roles
        response = lambda_handler(api_event(method, path, body, claims, query, raw_body), LambdaContext())
        assert response["headers"]["Content-Type"] == "application/json"
        return response["statusCode"], json.loads(response["body"])

    return call


def connect_body(role_arn: str, name: str = "production", access: str = "read_only") -> dict[str, Any]:
    return {
        "provider": "aws",
        "name": name,
        "access": access,
        "credentials": {"type": "role", "role_arn": role_arn},
    }


def external_id_of(api: Callable[..., Response], tenant: str = "tenant-a") -> str:
    status, kit = api("GET", "/v1/onboarding/aws", tenant=tenant)
    assert status == 200
    return str(kit["external_id"])


@pytest.fixture
def connected(api: Callable[..., Response]) -> tuple[dict[str, Any], Any]:
    """A connected account of tenant-a and the customer role behind it."""
    from tests.support import CUSTOMER_ACCOUNT, create_customer_role, trust_policy

    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id_of(api)))
    status, account = api("POST", "/v1/accounts", connect_body(role.arn))
    assert status == 201
    return account, role


@pytest.fixture
def key_account(api: Callable[..., Response]) -> tuple[dict[str, Any], Any]:
    """An account of tenant-a connected with an IAM user's access key, and that key."""
    from tests.support import CUSTOMER_ACCOUNT, access_key_body, create_user_key

    key = create_user_key(CUSTOMER_ACCOUNT, "skylight-reader")
    status, account = api("POST", "/v1/accounts", access_key_body(key))
    assert status == 201, account
    return account, key


def stored_account(account_id: str, tenant: str = "tenant-a") -> Any:
    """The domain account as stored (for the provider's calls), or None."""
    from datetime import UTC, datetime

    return dependencies.services().accounts.get(tenant, account_id, datetime.now(UTC))


def aws_provider() -> Any:
    from skylight.providers.base import get_provider

    return get_provider("aws")
