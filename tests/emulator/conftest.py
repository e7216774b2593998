"""Fixtures for the emulator tests: the same scenarios in-process (`mock_aws`) and against the server."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.emulator import (
    EMULATOR_MOTO_CONFIG,
    EmulatorHandle,
    client_for_account,
    install,
    lambda_execution_credentials,
    start_emulator,
)

PLATFORM = "123456789012"
CUSTOMER = "111111111111"
OTHER_CUSTOMER = "222222222222"
PLATFORM_PRINCIPAL = f"arn:aws:iam::{PLATFORM}:role/Skylight-platform-principal"
LAMBDA_ROLE = f"arn:aws:iam::{PLATFORM}:role/lambda-execution"
#: The platform role the scenarios assume from by default: an account root may not assume roles.
PLATFORM_CALLER = f"arn:aws:iam::{PLATFORM}:role/platform-caller"

install()
# One session for the whole run: it caches the service models that every new client would load again.
SESSION = boto3.Session()


@dataclass
class Aws:
    """One emulated AWS (in-process or server) and helpers to act in its accounts."""

    endpoint_url: str | None
    _clients: dict[tuple[str, str | None, str | None], Any] = field(default_factory=dict)
    _caller: dict[str, str] | None = None

    def client(
        self, service: str, account_id: str | None = None, credentials: dict[str, str] | None = None
    ) -> Any:
        # boto3 clients take tens of milliseconds to build: reuse them within a test.
        cache_key = (service, account_id, credentials["AccessKeyId"] if credentials else None)
        if cache_key not in self._clients:
            self._clients[cache_key] = self._new_client(service, account_id, credentials)
        return self._clients[cache_key]

    def _new_client(self, service: str, account_id: str | None, credentials: dict[str, str] | None) -> Any:
        keys: dict[str, str] = {}
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return client_for_account(service, account_id, self.endpoint_url, "us-east-1", SESSION, **keys)

    def create_role(
        self, account_id: str, name: str, trust: dict[str, Any], policy: dict[str, Any] | None = None
    ) -> str:
        iam = self.client("iam", account_id)
        arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if policy is not None:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
        return arn

    def platform_caller(self) -> dict[str, str]:
        """A session of a platform-account role that may call sts:AssumeRole on any role, as a
        function's execution role would be handed by the Lambda service."""
        if self._caller is None:
            self.create_role(
                PLATFORM, "platform-caller", trust(service="lambda.amazonaws.com"), allow("sts:AssumeRole")
            )
            self._caller = lambda_execution_credentials(PLATFORM_CALLER, "skylight")
        return self._caller

    def assume(
        self, role_arn: str, external_id: str | None = None, credentials: dict[str, str] | None = None
    ) -> dict[str, str]:
        """AssumeRole as `credentials`, by default as the platform caller (never as a root)."""
        kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "skylight"}
        if external_id is not None:
            kwargs["ExternalId"] = external_id
        sts = self.client("sts", credentials=credentials or self.platform_caller())
        result: dict[str, str] = sts.assume_role(**kwargs)["Credentials"]
        return result

    def create_function(self, name: str, handler: str) -> str:
        if not self.role_exists(LAMBDA_ROLE):
            self.create_role(PLATFORM, "lambda-execution", trust(service="lambda.amazonaws.com"))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
        arn: str = self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=LAMBDA_ROLE,
            Handler=handler,
            Code={"ZipFile": archive.getvalue()},
        )["FunctionArn"]
        return arn

    def role_exists(self, arn: str) -> bool:
        try:
            self.client("iam").get_role(RoleName=arn.rsplit("/", 1)[-1])
        except self.client("iam").exceptions.NoSuchEntityException:
            return False
        return True

    def run_execution(self, state_machine_arn: str, payload: dict[str, Any], timeout: float = 10.0) -> Any:
        sfn = self.client("stepfunctions")
        execution = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(payload))
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.02)


def trust(
    principal: str | list[str] | None = PLATFORM_PRINCIPAL,
    external_id: str | None = None,
    service: str | None = None,
    operator: str = "StringEquals",
) -> dict[str, Any]:
    """A one-statement trust policy."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    statement["Principal"] = {"Service": service} if service else {"AWS": principal}
    if external_id is not None:
        statement["Condition"] = {operator: {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow(*actions: str, resource: str = "*") -> dict[str, Any]:
    """An identity policy allowing `actions`."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    # Module scope: the emulator's process-wide moto config and MOTO_PORT are restored before
    # other test folders run.
    handle = start_emulator(port=0)
    yield handle
    handle.stop()


@pytest.fixture
def in_process() -> Iterator[Aws]:
    with mock_aws(config=EMULATOR_MOTO_CONFIG):
        yield Aws(endpoint_url=None)


@pytest.fixture
def server(emulator: EmulatorHandle) -> Aws:
    emulator.reset()
    return Aws(endpoint_url=emulator.endpoint_url)


@pytest.fixture(params=["in_process", "server"])
def aws(request: pytest.FixtureRequest) -> Aws:
    """The scenario runs twice: in-process and against the threaded server."""
    result: Aws = request.getfixturevalue(request.param)
    return result


@pytest.fixture
def platform_principal(aws: Aws) -> dict[str, str]:
    """Credentials of a session of Skylight's platform principal, assumed by the platform caller."""
    aws.create_role(PLATFORM, "Skylight-platform-principal", trust(PLATFORM_CALLER), allow("sts:AssumeRole"))
    return aws.assume(PLATFORM_PRINCIPAL)
