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


def test_graph_connect_then_validate_then_choice(definition, view):
    states = definition["States"]

    assert definition["StartAt"] == "Connect"
    assert states["Connect"]["Next"] == "Validate"
    assert states["Validate"]["Next"] == "IsConnected"
    assert states["Connect"]["Resource"].endswith(f":function:{view.ids['ConnectFunction']}")
    assert states["Validate"]["Resource"].endswith(f":function:{view.ids['ValidateFunction']}")


@pytest.mark.parametrize("task", ["Connect", "Validate"])
def test_tasks_retry_transient_lambda_errors_and_skip_disconnected_accounts(definition, task):
    state = definition["States"][task]

    (retry,) = state["Retry"]
    assert retry["ErrorEquals"] == LAMBDA_TRANSIENT_ERRORS
    assert retry["BackoffRate"] > 1
    assert retry["MaxAttempts"] >= 3
    (catch,) = state["Catch"]
    assert catch["ErrorEquals"] == ["AccountDisconnected"]
    assert catch["Next"] == "Skipped"
    assert definition["States"]["Skipped"]["Type"] == "Succeed"


def test_choice_goes_to_crawl_when_connected_and_fails_otherwise(definition):
    states = definition["States"]
    choice = states["IsConnected"]

    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [
        {"Variable": "$.result", "StringEquals": "connected", "Next": "CrawlPending"}
    ]
    assert choice["Default"] == "ValidationFailed"
    assert states["CrawlPending"]["Type"] == "Pass"
    assert states["CrawlPending"]["Next"] == "Done"
    assert states["Done"]["Type"] == "Succeed"
    assert states["ValidationFailed"] == {
        "Type": "Fail",
        "Error": "ValidationFailed",
        "CausePath": "$.result",
    }


def test_every_next_points_at_an_existing_state(definition):
    states = definition["States"]
    targets = {state["Next"] for state in states.values() if "Next" in state}
    targets |= {catch["Next"] for state in states.values() for catch in state.get("Catch", [])}
    targets |= {choice["Next"] for state in states.values() for choice in state.get("Choices", [])}
    targets |= {state["Default"] for state in states.values() if "Default" in state}

    assert targets <= set(states)
    assert set(states) - targets == {"Connect"}  # every state but the start is reachable


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
