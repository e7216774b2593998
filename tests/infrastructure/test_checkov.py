"""checkov over the synthesized template: no check fails, and every check skipped is acknowledged in
the resource's metadata with a reason (`infra.nag.acknowledge_checkov`), for a failure it really has."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from infra import nag
from infra.config import REPO_ROOT

# Installed by `make bootstrap` (its own virtualenv: its pins conflict with the project's).
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
ACKNOWLEDGED = "acknowledged.json"
UNACKNOWLEDGED = "unacknowledged.json"

Finding = tuple[str, str]  # (logical id, check id)
Findings = dict[Finding, dict[str, Any]]


@dataclass(frozen=True)
class CheckovRun:
    """checkov's findings by file and outcome (`passed_checks`, `failed_checks`, `skipped_checks`)."""

    results: dict[str, dict[str, Findings]]
    resources_scanned: int


def metadata_skips(template: dict[str, Any]) -> dict[Finding, str]:
    """Every checkov skip the template's resources carry, with its comment."""
    return {
        (logical_id, skip["id"]): skip.get("comment", "")
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get(nag.CHECKOV_METADATA, {}).get("skip", [])
    }


def without_skips(template: dict[str, Any]) -> dict[str, Any]:
    """The same template with no checkov acknowledgment left."""
    stripped = copy.deepcopy(template)
    for resource in stripped["Resources"].values():
        resource.get("Metadata", {}).pop(nag.CHECKOV_METADATA, None)
    return stripped


def _findings(results: list[dict[str, Any]]) -> Findings:
    # checkov names a resource `<Type>.<LogicalId>`.
    return {(result["resource"].split(".", 1)[1], result["check_id"]): result for result in results}


@pytest.fixture(scope="module")
def checkov_run(synthesis, tmp_path_factory) -> CheckovRun:
    """One checkov run over the template as synthesized and over a copy without its acknowledgments
    (checkov's start-up, about 4 s, is most of a run)."""
    # `make test` bootstraps checkov first; a missing one is a broken set-up, not a reason to skip.
    assert CHECKOV.exists(), f"checkov is missing: run `make bootstrap` (expected {CHECKOV})"
    directory = tmp_path_factory.mktemp("checkov")
    template_file = Path(synthesis.assembly.get_stack_by_name(synthesis.stack.stack_name).template_full_path)
    (directory / ACKNOWLEDGED).write_text(template_file.read_text())
    (directory / UNACKNOWLEDGED).write_text(json.dumps(without_skips(synthesis.template)))

    run = subprocess.run(  # noqa: S603 - fixed arguments, local tool
        [
            str(CHECKOV),
            *("--directory", str(directory)),
            *("--framework", "cloudformation"),
            # Offline: no policy or guideline download, no look for a newer release.
            "--skip-download",
            *("--output", "json"),
            "--compact",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=directory,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
        timeout=120,
    )
    # checkov exits 1 when a check fails, which the copy without acknowledgments must.
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["check_type"] == "cloudformation"
    assert report["summary"]["parsing_errors"] == 0
    by_file: dict[str, dict[str, Findings]] = {ACKNOWLEDGED: {}, UNACKNOWLEDGED: {}}
    for outcome in ("passed_checks", "failed_checks", "skipped_checks"):
        for name in by_file:
            by_file[name][outcome] = _findings(
                [result for result in report["results"][outcome] if result["file_path"] == f"/{name}"]
            )
    return CheckovRun(results=by_file, resources_scanned=report["summary"]["resource_count"])


def test_checkov_finds_no_failed_check_in_the_template(checkov_run, synthesis):
    results = checkov_run.results[ACKNOWLEDGED]

    assert sorted(results["failed_checks"]) == []
    # It really read both files, every resource of each.
    assert checkov_run.resources_scanned == 2 * len(synthesis.template["Resources"])
    assert len(results["passed_checks"]) > 200


def test_every_checkov_skip_is_an_acknowledgment_in_metadata_with_a_reason(checkov_run, synthesis):
    acknowledged = metadata_skips(synthesis.template)
    skipped = checkov_run.results[ACKNOWLEDGED]["skipped_checks"]

    assert acknowledged, "expected the stack to acknowledge a few checks"
    for (logical_id, check_id), comment in acknowledged.items():
        assert nag.CHECKOV_CHECK_ID.match(check_id), (logical_id, check_id)
        assert len(comment.strip()) >= nag.MINIMUM_REASON_LENGTH, (logical_id, check_id)
    # checkov skipped exactly those, for those reasons: nothing else silences a check (no inline
    # `checkov:skip=` text, no skip on the command line).
    assert {finding: result["check_result"]["suppress_comment"] for finding, result in skipped.items()} == (
        acknowledged
    )


def test_every_checkov_acknowledgment_answers_a_check_that_fails_without_it(checkov_run, synthesis):
    # Given the template without its acknowledgments, then the checks that fail are the very ones
    # acknowledged: none is stale, none was added for a check that passes anyway.
    failed = checkov_run.results[UNACKNOWLEDGED]["failed_checks"]

    assert set(failed) == set(metadata_skips(synthesis.template))


def test_functions_reserve_concurrency_and_encrypt_their_environment_for_checkov(checkov_run):
    # The checks these findings had before were fixed in the constructs, not acknowledged.
    passed = checkov_run.results[ACKNOWLEDGED]["passed_checks"]

    for check_id in ("CKV_AWS_115", "CKV_AWS_173"):
        functions = {logical_id for logical_id, passed_id in passed if passed_id == check_id}
        assert len(functions) == 8, check_id


@pytest.fixture
def queue() -> sqs.Queue:
    stack = cdk.Stack(cdk.App(), "Acknowledgments")
    return sqs.Queue(stack, "Queue")


def test_acknowledge_checkov_writes_each_check_into_the_resource_metadata(queue):
    nag.acknowledge_checkov(queue, "CKV_AWS_27", "Holds only identifiers, never a customer's data.")
    nag.acknowledge_checkov(queue.node.default_child, "CKV2_AWS_73", "The table's key encrypts it already.")

    (resource,) = Template.from_stack(cdk.Stack.of(queue)).to_json()["Resources"].values()
    assert resource["Metadata"]["checkov"] == {
        "skip": [
            {"id": "CKV_AWS_27", "comment": "Holds only identifiers, never a customer's data."},
            {"id": "CKV2_AWS_73", "comment": "The table's key encrypts it already."},
        ]
    }


@pytest.mark.parametrize("reason", ["", "   ", "not needed"])
def test_acknowledge_checkov_needs_a_reason_someone_can_review(queue, reason):
    with pytest.raises(ValueError, match="needs a reason"):
        nag.acknowledge_checkov(queue, "CKV_AWS_27", reason)


@pytest.mark.parametrize("check_id", ["CKV_AWS_*", "CKV_AWS", "ckv_aws_27", "CKV_AWS_27,CKV_AWS_28", "all"])
def test_acknowledge_checkov_takes_one_named_check_only(queue, check_id):
    with pytest.raises(ValueError, match="not a single checkov check id"):
        nag.acknowledge_checkov(queue, check_id, "A reason long enough to be reviewed.")


def test_acknowledge_checkov_refuses_the_same_check_twice(queue):
    nag.acknowledge_checkov(queue, "CKV_AWS_27", "Holds only identifiers, never a customer's data.")

    with pytest.raises(ValueError, match="already acknowledged"):
        nag.acknowledge_checkov(queue, "CKV_AWS_27", "A second, different reason for the same check.")


def test_acknowledge_checkov_needs_a_single_cloudformation_resource():
    stack = cdk.Stack(cdk.App(), "Acknowledgments")

    with pytest.raises(TypeError, match="no single CloudFormation resource"):
        nag.acknowledge_checkov(stack, "CKV_AWS_27", "A reason long enough to be reviewed.")
