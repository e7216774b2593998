"""cdk-nag: the rule packs every synth runs, and the one way this project acknowledges a finding of
cdk-nag (`acknowledge`) or of checkov over the synthesized template (`acknowledge_checkov`)."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct

# checkov reads its suppressions from this resource metadata key: {"skip": [{"id", "comment"}, ...]}.
CHECKOV_METADATA = "checkov"
# One named check (`CKV_AWS_115`, `CKV2_AWS_64`): never a pattern that could silence a family.
CHECKOV_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
# A reason someone can review says what the resource does instead; a word or two never does.
MINIMUM_REASON_LENGTH = 20


def add_checks(app: cdk.App) -> None:
    """Run AwsSolutions and Serverless checks on the whole app; any finding fails synth."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (`Rule` or `Rule[FindingId]`) on `scope` and everything below it.

    The reason is mandatory: an acknowledgment is a decision someone has to be able to review.
    """
    _require_reason(rule_id, reason)
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def acknowledge_checkov(scope: IConstruct, check_id: str, reason: str) -> None:
    """Acknowledge one checkov check on the CloudFormation resource of `scope` (an L2 construct's
    default child, or the CfnResource itself), in the template metadata checkov reads.

    Only that resource and that check: checkov's command line never skips anything.
    """
    if not CHECKOV_CHECK_ID.match(check_id):
        raise ValueError(f"not a single checkov check id: {check_id!r}")
    _require_reason(check_id, reason)
    resource = _cfn_resource(scope)
    metadata = dict(resource.get_metadata(CHECKOV_METADATA) or {})
    skips = list(metadata.get("skip", []))
    if any(skip["id"] == check_id for skip in skips):
        raise ValueError(f"{check_id} is already acknowledged on {resource.node.path}")
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata(CHECKOV_METADATA, {**metadata, "skip": skips})


def _require_reason(rule_id: str, reason: str) -> None:
    if len(reason.strip()) < MINIMUM_REASON_LENGTH:
        raise ValueError(
            f"acknowledging {rule_id} needs a reason (at least {MINIMUM_REASON_LENGTH} characters)"
        )


def _cfn_resource(scope: IConstruct) -> cdk.CfnResource:
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{scope.node.path} stands for no single CloudFormation resource")
    return resource


def wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard resource, named as cdk-nag renders it.

    `resource` may hold tokens (a function ARN, the partition): the finding id is built from the
    resolved value, so it stays right whatever logical ids or partition the stack ends up with.
    """
    flat = flatten_reference(cdk.Stack.of(scope).resolve(resource))
    acknowledge(scope, f"AwsSolutions-IAM5[Resource::{flat}]", reason)


def wildcard_action(scope: IConstruct, action: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard action such as `kms:GenerateDataKey*`."""
    acknowledge(scope, f"AwsSolutions-IAM5[Action::{action}]", reason)


def managed_policy(scope: IConstruct, policy_arn: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM4 for one AWS managed policy."""
    flat = flatten_reference(cdk.Stack.of(scope).resolve(policy_arn))
    acknowledge(scope, f"AwsSolutions-IAM4[Policy::{flat}]", reason)


def flatten_reference(value: Any) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names findings.

    `{"Fn::GetAtt": ["Fn", "Arn"]}` -> `<Fn.Arn>`, `{"Ref": "AWS::Partition"}` -> `<AWS::Partition>`,
    joins are joined (cdk-nag's `flattenCfnReference`).
    """
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(flatten_reference(item) for item in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))
