"""The account workflow: state machine settings, the rendered ASL and its graph."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import REPO_ROOT
from infra.constructs.workflow import LAMBDA_TRANSIENT_ERRORS
from infra.synth import render_state_machine_definition

ASL_VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
ACCOUNT = "123456789012"


def dummy_resolver(intrinsic: dict[str, Any] | str) -> str:
    """What a local run does with the references: plausible ARNs and pseudo parameters."""
    pseudo = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": ACCOUNT}
    if isinstance(intrinsic, str):
        return pseudo[intrinsic]
    if "Ref" in intrinsic:
        return pseudo[intrinsic["Ref"]]
    logical_id, attribute = intrinsic["Fn::GetAtt"]
    assert attribute == "Arn"
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{logical_id}"


@pytest.fixture(scope="module")
def definition(synthesis) -> dict[str, Any]:
    return render_state_machine_definition(synthesis.template, dummy_resolver)


def test_state_machine_is_standard_logs_everything_and_traces(template: Template, view):
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    machine = view.properties("StateMachine")

    assert machine["StateMachineType"] == "STANDARD"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    log_group = machine["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert view.resources[log_group["Fn::GetAtt"][0]]["Type"] == "AWS::Logs::LogGroup"


def test_rendered_definition_is_valid_asl(definition, tmp_path: Path):
    # `make test` runs `npm ci` first; a missing validator is a broken set-up, not a reason to skip.
    assert shutil.which("node"), "node is required for the ASL validator"
    assert ASL_VALIDATOR.exists(), "asl-validator is missing: run `npm ci`"
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))

    result = subprocess.run(  # noqa: S603 - fixed arguments, local tool
        [str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_graph_begin_validate_plan_map_finish(definition, view):
    states = definition["States"]

    assert definition["StartAt"] == "Begin"
    assert states["Begin"]["Next"] == "IsAlreadyRunning"
    assert states["IsAlreadyRunning"]["Choices"] == [
        {"Variable": "$.already_running", "BooleanEquals": True, "Next": "AlreadyRunning"}
    ]
    assert states["IsAlreadyRunning"]["Default"] == "Validate"
    assert states["Validate"]["Next"] == "IsConnected"
    assert states["IsConnected"]["Choices"] == [
        {"Variable": "$.validation.result", "StringEquals": "connected", "Next": "Plan"}
    ]
    assert states["IsConnected"]["Default"] == "ValidationFailed"
    assert states["Plan"]["Next"] == "CrawlSegments"
    assert states["CrawlSegments"]["Next"] == "Finish"
    assert states["Finish"]["Next"] == "Done"
    for name in ("Begin", "Validate", "Plan", "Finish"):
        assert states[name]["Resource"].endswith(f":function:{view.ids[name + 'Function']}")


def test_each_state_keeps_its_result_under_its_own_key_and_the_map_keeps_none(definition):
    states = definition["States"]

    assert states["Validate"]["ResultPath"] == "$.validation"
    assert states["Plan"]["ResultPath"] == "$.plan"
    crawl = states["CrawlSegments"]
    assert crawl["Type"] == "Map"
    assert crawl["ItemsPath"] == "$.plan.batches"
    assert crawl["ResultPath"] is None  # region results stay in storage, never in the state
    assert crawl["MaxConcurrency"] >= 17  # every region of a new account in one wave
    assert crawl["ItemSelector"] == {
        "tenant_id.$": "$.tenant_id",
        "account_id.$": "$.account_id",
        "crawl_id.$": "$.crawl_id",
        "segments.$": "$$.Map.Item.Value",
    }


def test_a_failing_region_is_skipped_and_never_stops_the_others(definition, view):
    processor = definition["States"]["CrawlSegments"]["ItemProcessor"]
    region = processor["States"][processor["StartAt"]]

    assert region["Resource"].endswith(f":function:{view.ids['CrawlSegmentsFunction']}")
    (catch,) = region["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert processor["States"][catch["Next"]]["Type"] == "Pass"


@pytest.mark.parametrize("task", ["Begin", "Validate", "Plan", "Finish"])
def test_tasks_retry_transient_lambda_errors(definition, task):
    (retry,) = definition["States"][task]["Retry"]
    assert retry["ErrorEquals"] == LAMBDA_TRANSIENT_ERRORS
    assert retry["BackoffRate"] > 1
    assert retry["MaxAttempts"] >= 3


def test_disconnected_accounts_end_before_any_call_or_go_to_finish(definition):
    states = definition["States"]

    assert states["Begin"]["Catch"][0] == {
        "ErrorEquals": ["AccountDisconnected"],
        "ResultPath": "$.error",
        "Next": "Skipped",
    }
    assert states["Skipped"]["Type"] == "Succeed"
    for task in ("Validate", "Plan"):
        assert {
            "ErrorEquals": ["AccountDisconnected"],
            "ResultPath": "$.error",
            "Next": "AccountWasDisconnected",
        } in (states[task]["Catch"])


@pytest.mark.parametrize(
    ("state", "failure"),
    [
        ("AccountWasDisconnected", "account_disconnected"),
        ("ValidationFailed", "validation_failed"),
        ("ValidationError", "validation_error"),
        ("PlanFailed", "plan_failed"),
        ("BeginFailed", "begin_failed"),
    ],
)
def test_every_failure_is_recorded_and_finished(definition, state, failure):
    pass_state = definition["States"][state]
    assert pass_state == {"Type": "Pass", "Result": failure, "ResultPath": "$.failure", "Next": "Finish"}


def test_any_error_after_a_crawl_began_still_finishes_it(definition):
    """No error leaves a crawl marked running: Validate and Plan go to Finish, and so does Begin when
    the API began the crawl (its id is in the input); otherwise nothing began and the run fails."""
    states = definition["States"]
    for task, target in (
        ("Validate", "ValidationError"),
        ("Plan", "PlanFailed"),
        ("Begin", "DidACrawlBegin"),
    ):
        catch_all = [catch for catch in states[task]["Catch"] if catch["ErrorEquals"] == ["States.ALL"]]
        assert catch_all == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": target}]
    (began,) = states["DidACrawlBegin"]["Choices"]
    assert (began["Variable"], began["IsPresent"], began["Next"]) == ("$.crawl_id", True, "BeginFailed")
    assert states[states["DidACrawlBegin"]["Default"]]["Type"] == "Fail"


def test_a_crawls_lock_outlives_its_execution(definition):
    from skylight.logic.crawls import LOCK_DURATION

    assert 0 < definition["TimeoutSeconds"] < LOCK_DURATION.total_seconds()


def test_every_next_points_at_an_existing_state(definition):
    states = definition["States"]
    targets = {state["Next"] for state in states.values() if "Next" in state}
    targets |= {catch["Next"] for state in states.values() for catch in state.get("Catch", [])}
    targets |= {choice["Next"] for state in states.values() for choice in state.get("Choices", [])}
    targets |= {state["Default"] for state in states.values() if "Default" in state}

    assert targets <= set(states)
    assert set(states) - targets == {"Begin"}  # every state but the start is reachable


def test_render_handles_sub_and_definition_substitutions():
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {
                        "Fn::Sub": [
                            '{"StartAt":"A","Comment":"${AWS::Region} ${!Literal}",'
                            '"States":{"A":{"Type":"Task","Resource":"${Fn}","End":true}}}',
                            {"Fn": {"Fn::GetAtt": ["Fn", "Arn"]}},
                        ]
                    },
                    "DefinitionSubstitutions": {"Unused": {"Ref": "AWS::AccountId"}},
                },
            }
        }
    }

    definition = render_state_machine_definition(template, dummy_resolver)

    assert definition["Comment"] == "us-east-1 ${Literal}"
    assert definition["States"]["A"]["Resource"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Fn"


def test_render_refuses_a_template_without_exactly_one_state_machine():
    with pytest.raises(LookupError):
        render_state_machine_definition({"Resources": {}}, dummy_resolver)


def test_begin_gets_its_executions_arn_so_that_a_disconnect_can_stop_it(definition):
    assert definition["States"]["Begin"]["Parameters"] == {
        "workflow.$": "$",
        "execution_arn.$": "$$.Execution.Id",
    }


def test_only_the_api_may_stop_executions_and_only_this_state_machines(view):
    stopping = {
        name: [s for s in view.identity_statements(view.role_of(name)) if "states:StopExecution" in str(s)]
        for name in ("ApiFunction", "BeginFunction", "CrawlSegmentsFunction", "PurgeFunction")
    }

    assert [name for name, statements in stopping.items() if statements] == ["ApiFunction"]
    (statement,) = stopping["ApiFunction"]
    assert statement["Action"] == "states:StopExecution"
    resource = json.dumps(statement["Resource"])
    assert ":execution:" in resource and view.ids["StateMachine"] in resource
