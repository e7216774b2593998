"""The embedded local run: emulator, the stack's resources, the function runner and the HTTP API.

Local mode runs the same code as a deployment: the functions' handlers receive the same events,
the resources come from the synthesized template, and only endpoints differ (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.config import FUNCTIONS_DIR, REPO_ROOT
from local.http_api import LocalHttpApi, Route
from local.schedules import ScheduleRunner
from local.stack import REGION, EmulatorResources, LocalStack, Resolver, provision
from local.tokens import AUDIENCE, ISSUER, verify_token

API_HANDLER = "skylight.handlers.api.app.lambda_handler"


@dataclass
class LocalRun:
    emulator: Any
    stack: LocalStack
    api: LocalHttpApi
    api_url: str
    schedules: ScheduleRunner

    def client(self, service: str, account_id: str | None = None, region: str = REGION) -> Any:
        """A boto3 client on the emulator; `account_id` acts in that (customer) account."""
        return self.emulator.client(service, account_id, region)

    def stop(self) -> None:
        from local.emulator.function_processes import stop_all

        self.schedules.stop()
        self.api.stop()
        stop_all()
        self.emulator.stop()


def _quiet_local_environment() -> None:
    # Metrics are disabled locally; Powertools still warns about every empty flush.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - the emulator's placeholder, not a secret
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)


def start(api_port: int, emulator_port: int, host: str = "127.0.0.1") -> LocalRun:
    """Start everything and return once the API answers requests."""
    _quiet_local_environment()
    from local.emulator.server import start_emulator

    emulator = start_emulator(port=emulator_port, host=host)
    os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint_url

    from infra.synth import synthesize_template

    template = synthesize_template()
    stack = provision(
        template,
        {"JwtIssuer": ISSUER, "JwtAudience": AUDIENCE},
        EmulatorResources(emulator.endpoint_url, on_function=_serve_function).creators(),
    )
    _share_configuration(stack)

    lambda_client = boto3.client("lambda", region_name=REGION, endpoint_url=emulator.endpoint_url)
    api_function = stack.function_named(API_HANDLER).ref

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        response = lambda_client.invoke(FunctionName=api_function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"{}")
        return payload if not response.get("FunctionError") else {}

    api = LocalHttpApi(_routes(stack), invoke, lambda header: verify_token(header, ISSUER, AUDIENCE))
    server = api.start(host, api_port)
    schedules = ScheduleRunner(
        emulator.client("scheduler"), emulator.client("stepfunctions"), os.environ["SCHEDULE_GROUP_NAME"]
    )
    return LocalRun(emulator, stack, api, f"http://{host}:{server.server_address[1]}", schedules)


def _serve_function(name: str, properties: dict[str, Any], resolver: Resolver) -> None:
    """Run the function `name` in worker processes of its own, as its own execution role.

    A worker's environment is what Lambda would give that function: its variables from the template
    (with the operator's overrides) and a session of its execution role, as the Lambda service hands
    it over (the emulator's STS backend issues it directly); plus the emulator's endpoint. So the
    emulator holds each function to its own role's policies, from its first invocation on (the
    stack's custom resources invoke theirs while the stack is being created).
    """
    from local.emulator.function_processes import FunctionProcesses, serve_in_processes
    from local.emulator.server import lambda_execution_credentials

    session = lambda_execution_credentials(resolver.resolve(properties["Role"]), session_name=name)
    environment = {
        **_runtime_environment(),
        **_configuration(properties, resolver),
        "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
        "AWS_SESSION_TOKEN": session["SessionToken"],
    }
    size = min(int(properties.get("ReservedConcurrentExecutions", LOCAL_WORKERS)), LOCAL_WORKERS)
    processes = FunctionProcesses(name, properties["Handler"], environment, str(REPO_ROOT), size)
    serve_in_processes(processes)
    processes.warm()


def _configuration(properties: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """A function's variables from the template, with the operator's overrides."""
    variables = dict(resolver.resolve(properties.get("Environment", {}).get("Variables", {})))
    variables.pop("POWERTOOLS_LOG_LEVEL", None)
    return with_operator_overrides(variables, os.environ)


def _share_configuration(stack: LocalStack) -> None:
    """This process keeps the union of the functions' variables (no credentials): the demo reads
    resource names from it."""
    resolver = Resolver(stack)
    for function in stack.of_type("AWS::Lambda::Function").values():
        os.environ.update(_configuration(function["Properties"], resolver))


#: The most worker processes one function gets locally (each runs one invocation at a time).
LOCAL_WORKERS = 4


def _runtime_environment() -> dict[str, str]:
    """What every local function's process gets besides its own configuration and credentials."""
    passed = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {
        **passed,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        # Metrics are disabled locally; Powertools still warns about every empty flush.
        "PYTHONWARNINGS": "ignore:No application metrics to publish",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(FUNCTIONS_DIR)]),
    }


# Settings the person running the local API may override from their shell, to see behaviour that
# otherwise takes weeks: `CREDENTIAL_WARN_DAYS=0 make serve` (keys need attention at once),
# `RETENTION_DAYS=0 make serve` (a disconnected account is gone at once, before any TTL deletion).
OPERATOR_SETTINGS = ("RETENTION_DAYS", "CREDENTIAL_WARN_DAYS", "CREDENTIAL_ROTATE_DAYS")


def with_operator_overrides(stack_environment: dict[str, str], operator: Mapping[str, str]) -> dict[str, str]:
    """The functions' environment from the stack, with the operator's values of `OPERATOR_SETTINGS`."""
    chosen = {name: operator[name] for name in OPERATOR_SETTINGS if operator.get(name, "").isdigit()}
    return {**stack_environment, **chosen}


def _routes(stack: LocalStack) -> list[Route]:
    routes = []
    for resource in stack.of_type("AWS::ApiGatewayV2::Route").values():
        method, path = str(resource["Properties"]["RouteKey"]).split(" ", 1)
        routes.append(Route(method, path))
    return routes
