"""Lambda functions and the dependency layer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.config import REQUIREMENTS_FILE, SkylightSettings
from infra.constructs.functions import ARCHITECTURE, RUNTIME, reserved_concurrency
from infra.constructs.layer import DependencyLayer, PipInstallBundling, python_version, requirements_hash
from infra.synth import render_state_machine_definition

HANDLERS = {
    "ApiFunction": "skylight.handlers.api.app.lambda_handler",
    "BeginFunction": "skylight.handlers.workflow.tasks.begin_crawl",
    "ValidateFunction": "skylight.handlers.workflow.tasks.validate_account",
    "PlanFunction": "skylight.handlers.workflow.tasks.plan_crawl",
    "CrawlSegmentsFunction": "skylight.handlers.workflow.tasks.crawl_segments",
    "FinishFunction": "skylight.handlers.workflow.tasks.finish_crawl",
    "PurgeFunction": "skylight.handlers.events.aged_out.purge_aged_out_accounts",
    "OutboundFederationFunction": "skylight.handlers.deployment.outbound_federation.on_event",
}
FUNCTIONS = tuple(HANDLERS)
CRAWL_STEPS = ("BeginFunction", "ValidateFunction", "PlanFunction", "FinishFunction")
# Lambda's default regional quota, and what it always keeps unreserved.
DEFAULT_ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100
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
    crawl = view.properties("CrawlSegmentsFunction")
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


def _reserved(template: dict[str, Any]) -> dict[str, int]:
    """Each function's reserved concurrency, by the function's role name (found by its handler)."""
    names = {handler: name for name, handler in HANDLERS.items()}
    return {
        names[resource["Properties"]["Handler"]]: resource["Properties"]["ReservedConcurrentExecutions"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }


def _map_width(template: dict[str, Any]) -> int:
    definition = render_state_machine_definition(template, lambda intrinsic: "arn:aws:lambda:x")
    return int(definition["States"]["CrawlSegments"]["MaxConcurrency"])


def test_every_function_reserves_concurrency_within_the_default_account_quota(view):
    reserved = _reserved(view.template)

    assert reserved == {
        "ApiFunction": 200,
        "BeginFunction": 20,
        "ValidateFunction": 20,
        "PlanFunction": 20,
        "CrawlSegmentsFunction": 400,
        "FinishFunction": 20,
        "PurgeFunction": 5,
        "OutboundFederationFunction": 1,
    }
    assert sum(reserved.values()) <= DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM


def test_region_crawls_reserve_the_maps_width_for_every_concurrent_crawl(view):
    reserved = _reserved(view.template)

    crawls = reserved["BeginFunction"]
    assert {reserved[step] for step in CRAWL_STEPS} == {crawls}
    assert reserved["CrawlSegmentsFunction"] == crawls * _map_width(view.template)


def test_concurrency_comes_from_context(overridden_template):
    # Given a smaller account: apiConcurrency=50, concurrentCrawls=3, purgeConcurrency=2
    # (see CONTEXT_OVERRIDES), then each function reserves its share of those settings
    assert _reserved(overridden_template) == {
        "ApiFunction": 50,
        "BeginFunction": 3,
        "ValidateFunction": 3,
        "PlanFunction": 3,
        "CrawlSegmentsFunction": 3 * _map_width(overridden_template),
        "FinishFunction": 3,
        "PurgeFunction": 2,
        "OutboundFederationFunction": 1,
    }


@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5", "", True, 0])
@pytest.mark.parametrize(
    "setting", ["apiConcurrency", "concurrentCrawls", "purgeConcurrency", "accountConcurrencyLimit"]
)
def test_a_concurrency_that_is_not_a_positive_whole_number_is_refused(setting, value):
    app = cdk.App(context={setting: value})

    with pytest.raises(ValueError, match=f"context {setting} must be a whole number of at least 1"):
        SkylightSettings.from_context(app)


def test_reservations_beyond_the_account_quota_are_refused_at_synth():
    # 50 crawls at full width need 1,000 region batches: more than a default account can reserve
    with pytest.raises(ValueError, match="accountConcurrencyLimit"):
        reserved_concurrency(SkylightSettings(concurrent_crawls=50))

    # An account whose quota was raised may reserve them
    raised = reserved_concurrency(SkylightSettings(concurrent_crawls=50, account_concurrency_limit=3000))
    assert raised["CrawlSegmentsFunction"] == 1000


def test_reservations_may_take_all_but_the_unreserved_minimum():
    # 814 + 4 x 20 + 400 + 5 + 1 = 1,300: exactly what a quota of 1,400 leaves to reserve
    settings = SkylightSettings(api_concurrency=814, account_concurrency_limit=1400)
    assert sum(reserved_concurrency(settings).values()) == 1300

    with pytest.raises(ValueError, match="leaves 1299 to reserve"):
        reserved_concurrency(replace(settings, account_concurrency_limit=1399))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_environment_is_encrypted_with_the_platform_key(view, name):
    # Only who may use the key can read the configuration (Lambda would use its own key otherwise).
    assert view.properties(name)["KmsKeyArn"] == {"Fn::GetAtt": [view.ids["Key"], "Arn"]}
