"""Whole-template checks: cdk-nag, cfn-lint, tags, context handling."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import ManualArgs, lint

from infra.synth import build_app, synthesize_template

# CDK stores acknowledgments without a known prefix as annotations: "Annotation::<rule>[<finding>]".
RULE_ID = re.compile(r"^(Annotation::)?(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$")


def _acknowledgments(app: cdk.App) -> dict[str, dict[str, str]]:
    """Every acknowledgment in the construct tree, by construct path."""
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                found.setdefault(construct.node.path, {}).update(entry.data)
    return found


def test_cdk_nag_reports_no_violation(synthesis):
    # The session's synthesis ran AwsSolutions and Serverless checks; it would have raised otherwise.
    report = json.loads((Path(synthesis.assembly.directory) / "validation-report.json").read_text())

    assert all(not plugin.get("violations") for plugin in report["pluginReports"])


def test_every_acknowledgment_names_a_rule_and_gives_a_reason(synthesis):
    acknowledgments = _acknowledgments(synthesis.app)

    assert acknowledgments, "expected the stack to acknowledge a few findings"
    for path, rules in acknowledgments.items():
        for rule_id, reason in rules.items():
            assert RULE_ID.match(rule_id), (path, rule_id)
            assert len(reason.strip()) >= 20, (path, rule_id)


def test_cdk_nag_is_active_and_fails_synth_on_a_new_finding():
    # Given the same app plus a queue that breaks AwsSolutions rules (no SSL enforcement, no DLQ)
    app, stack = build_app()
    sqs.Queue(stack, "CarelessQueue")

    # Then synthesis fails instead of writing the template
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_cfn_lint_finds_nothing(synthesis):
    # W3005 (a DependsOn that a GetAtt already implies) is how CDK writes function dependencies.
    matches = lint(
        json.dumps(synthesis.template),
        config=ManualArgs(regions=["us-east-1"], ignore_checks=["W3005"]),
    )

    assert [str(match) for match in matches] == []


def test_stack_is_tagged_with_the_project(synthesis):
    artifact = synthesis.assembly.get_stack_by_name("Skylight")

    assert artifact.tags == {"project": "skylight"}


def test_synthesize_template_returns_an_independent_copy():
    first = synthesize_template()
    first["Resources"].clear()

    assert synthesize_template()["Resources"]


def test_claims_come_from_context(overridden_template):
    # Given tenantClaim=org_id and rolesClaim=groups (see CONTEXT_OVERRIDES)
    resources = overridden_template["Resources"].values()
    functions = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    for function in functions:
        variables = function["Properties"]["Environment"]["Variables"]
        assert (variables["TENANT_CLAIM"], variables["ROLES_CLAIM"]) == ("org_id", "groups")


def test_role_names_and_tenant_limits_come_from_context(synthesis, overridden_template):
    def settings_of(template):
        functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        names = ("ADMIN_ROLE_NAME", "VIEWER_ROLE_NAME", "MAX_ACCOUNTS_PER_TENANT")
        names += ("VALIDATIONS_PER_MINUTE", "CRAWL_REQUESTS_PER_HOUR")
        return {tuple(f["Properties"]["Environment"]["Variables"][n] for n in names) for f in functions}

    assert settings_of(synthesis.template) == {("admin", "viewer", "500", "30", "12")}
    assert settings_of(overridden_template) == {("skylight-admins", "skylight-viewers", "50", "10", "4")}


def test_feature_flags_from_cdk_json_are_applied(synthesis):
    assert synthesis.app.node.try_get_context("@aws-cdk/core:explicitStackTags") is True
    assert synthesis.app.node.try_get_context("aws:cdk:bundling-stacks") == []
