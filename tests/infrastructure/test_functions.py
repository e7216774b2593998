"""Lambda functions and the dependency layer."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.config import REQUIREMENTS_FILE
from infra.constructs.functions import ARCHITECTURE, RUNTIME
from infra.constructs.layer import DependencyLayer, PipInstallBundling, python_version, requirements_hash

HANDLERS = {
    "ApiFunction": "skylight.handlers.api.app.lambda_handler",
    "BeginFunction": "skylight.handlers.workflow.tasks.begin_crawl",
    "ValidateFunction": "skylight.handlers.workflow.tasks.validate_account",
    "PlanFunction": "skylight.handlers.workflow.tasks.plan_crawl",
    "CrawlRegionFunction": "skylight.handlers.workflow.tasks.crawl_region",
    "FinishFunction": "skylight.handlers.workflow.tasks.finish_crawl",
    "PurgeFunction": "skylight.handlers.events.aged_out.purge_aged_out_accounts",
}
FUNCTIONS = tuple(HANDLERS)
SHARED_ENVIRONMENT = {
    "TENANT_CLAIM": "tenant_id",
    "ROLES_CLAIM": "roles",
    "RETENTION_DAYS": "30",
    "POWERTOOLS_SERVICE_NAME": "skylight",
    "POWERTOOLS_METRICS_NAMESPACE": "Skylight",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


def test_the_runtime_is_the_newest_python_this_cdk_knows():
    pythons = [runtime for runtime in lambda_.Runtime.ALL if runtime.family == lambda_.RuntimeFamily.PYTHON]
    newest = max(pythons, key=lambda runtime: tuple(int(part) for part in python_version(runtime).split(".")))
    assert RUNTIME.name == newest.name


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runs_on_arm64_newest_python_with_tracing_and_the_layer(view, name):
    function = view.properties(name)

    assert function["Architectures"] == ["arm64"]
    assert function["Runtime"] == RUNTIME.name
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Layers"] == [{"Ref": view.ids["DependencyLayer"]}]
    assert function["Handler"] == HANDLERS[name]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_logs_to_its_own_encrypted_log_group_with_retention(view, name):
    log_group_id = view.properties(name)["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = view.resources[log_group_id]["Properties"]

    assert log_group["RetentionInDays"] == 30
    assert log_group["KmsKeyId"] == {"Fn::GetAtt": [view.ids["Key"], "Arn"]}


def test_memory_and_timeouts(view):
    api = view.properties("ApiFunction")
    assert (api["MemorySize"], api["Timeout"]) == (1024, 29)
    assert view.properties("BeginFunction")["Timeout"] == 30
    assert view.properties("ValidateFunction")["Timeout"] == 60
    crawl = view.properties("CrawlRegionFunction")
    # A full vCPU for parsing, and time for the largest region, well inside the execution's timeout.
    assert (crawl["MemorySize"], crawl["Timeout"]) == (1769, 600)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_environment(view, name):
    variables = view.properties(name)["Environment"]["Variables"]

    assert SHARED_ENVIRONMENT.items() <= variables.items()
    assert variables["TABLE_NAME"] == {"Ref": view.ids["Table"]}
    assert variables["SCHEDULE_GROUP_NAME"] == view.properties("ScheduleGroup")["Name"]
    principal_arn = variables["PLATFORM_PRINCIPAL_ARN"]["Fn::Join"][1]
    assert principal_arn[-1] == ":role/Skylight-platform-principal"
    # Only the API starts executions and manages schedules.
    assert ("STATE_MACHINE_ARN" in variables) == (name == "ApiFunction")
    assert ("SCHEDULER_ROLE_ARN" in variables) == (name == "ApiFunction")


def test_api_function_knows_the_state_machine_and_the_schedules_role(view):
    variables = view.properties("ApiFunction")["Environment"]["Variables"]
    assert variables["STATE_MACHINE_ARN"] == {"Ref": view.ids["StateMachine"]}
    assert variables["SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": [view.ids["SchedulerRole"], "Arn"]}


def test_all_functions_share_one_code_asset(view):
    keys = {view.properties(name)["Code"]["S3Key"] for name in FUNCTIONS}
    assert len(keys) == 1


def test_layer_targets_arm64_and_the_runtime(view):
    layer = view.properties("DependencyLayer")

    assert layer["CompatibleArchitectures"] == ["arm64"]
    assert layer["CompatibleRuntimes"] == [RUNTIME.name]


def test_layer_asset_changes_when_requirements_change_and_only_then(tmp_path: Path):
    # Given three layers: two from identical requirements, one from a changed pin
    first, same, changed = (tmp_path / name for name in ("first.txt", "same.txt", "changed.txt"))
    first.write_text("pydantic==2.14.3\n")
    same.write_text("pydantic==2.14.3\n")
    changed.write_text("pydantic==2.14.4\n")
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Layers", env=cdk.Environment(region="us-east-1"))
    for requirements in (first, same, changed):
        DependencyLayer(
            stack, requirements.stem, runtime=RUNTIME, architecture=ARCHITECTURE, requirements=requirements
        )

    # When synthesizing (bundling skipped: the hash never depends on pip's output)
    template = app.synth().get_stack_by_name("Layers").template
    keys = {
        logical_id.removesuffix(logical_id[-8:]): resource["Properties"]["Content"]["S3Key"]
        for logical_id, resource in template["Resources"].items()
    }

    # Then the asset follows the file's content
    assert keys["firstLayer"] == keys["sameLayer"]
    assert keys["changedLayer"] != keys["firstLayer"]


def test_layer_hash_changes_with_requirements_architecture_and_python(tmp_path: Path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.14.3\n")
    arm = lambda_.Architecture.ARM_64
    baseline = requirements_hash(requirements, arm, "3.14")

    assert requirements_hash(requirements, lambda_.Architecture.X86_64, "3.14") != baseline
    assert requirements_hash(requirements, arm, "3.13") != baseline
    requirements.write_text("pydantic==2.14.4\n")
    assert requirements_hash(requirements, arm, "3.14") != baseline


def test_layer_bundling_installs_binary_wheels_for_the_lambda_platform(tmp_path: Path):
    bundling = PipInstallBundling(REQUIREMENTS_FILE, "manylinux2014_aarch64", "3.14")

    command = bundling.command(str(tmp_path))

    assert command[1:4] == ["-m", "pip", "install"]
    joined = " ".join(command)
    assert f"--requirement {REQUIREMENTS_FILE}" in joined
    assert f"--target {tmp_path / 'python'}" in joined
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.14" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command
