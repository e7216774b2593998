"""Synthesize the Skylight stack in-process, for tests and for the local emulator run.

`cdk synth` reads cdk.json; `cdk.App()` does not. `build_app` loads its context (feature flags
included) so the in-process template is the one the CLI would deploy.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import cx_api
from constructs import Construct

from infra.config import CDK_JSON, STACK_NAME
from infra.stack import SkylightStack, add_skylight

# An intrinsic function ({"Ref": ...}, {"Fn::GetAtt": [...]}) or, inside Fn::Sub, a variable name.
Resolver = Callable[[dict[str, Any] | str], str]

STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"
# Context key the CDK reads to decide which stacks to bundle; [] means none.
BUNDLING_STACKS = "aws:cdk:bundling-stacks"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


@dataclass(frozen=True)
class Synthesis:
    """One synthesized app: the construct tree (for metadata checks) and the stack's template."""

    app: cdk.App
    stack: SkylightStack
    assembly: cx_api.CloudAssembly
    template: dict[str, Any]


def load_cdk_context(cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` block of cdk.json: feature flags and project settings."""
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    return dict(context)


def build_app(
    *, bundling: bool = False, context: Mapping[str, Any] | None = None
) -> tuple[cdk.App, SkylightStack]:
    """An App with cdk.json's context (plus `context` overrides) holding the Skylight stack.

    Without `bundling` the dependency layer is not built (no pip run): the template is the same,
    only the layer asset is a placeholder that must never be deployed.
    """
    merged = load_cdk_context()
    merged.update(context or {})
    if not bundling:
        merged[BUNDLING_STACKS] = []
    app = cdk.App(context=merged)
    return app, add_skylight(app)


@cache
def synthesize(bundling: bool = False) -> Synthesis:
    """Build and synthesize once per process (jsii start-up dominates; later calls are free).

    Raises if any cdk-nag finding is left unacknowledged: the checks run as part of synthesis.
    """
    app, stack = build_app(bundling=bundling)
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    return Synthesis(app=app, stack=stack, assembly=assembly, template=template)


def synthesize_template(bundling: bool = False) -> dict[str, Any]:
    """The Skylight stack's CloudFormation template as a dict (a copy: callers may modify it)."""
    template = synthesize(bundling).template
    if not isinstance(template, dict):
        raise TypeError(f"unexpected template type for {STACK_NAME}: {type(template)}")
    return copy.deepcopy(template)


def resource_logical_ids(bundling: bool = False) -> dict[str, str]:
    """Logical ids of the resources a local run recreates, by role (stable while construct ids are)."""
    stack = synthesize(bundling).stack
    elements: dict[str, Construct] = {
        "Key": stack.key.key,
        "VaultKey": stack.vault.key,
        "CursorKey": stack.cursor_key.key,
        "Table": stack.data.table,
        "SecretsTable": stack.vault.table,
        "ScheduleGroup": stack.schedules.group,
        "DependencyLayer": stack.layer.layer,
        "ApiFunction": stack.functions.api,
        "BeginFunction": stack.functions.begin,
        "ValidateFunction": stack.functions.validate,
        "PlanFunction": stack.functions.plan,
        "CrawlSegmentsFunction": stack.functions.crawl_segments,
        "FinishFunction": stack.functions.finish,
        "PurgeFunction": stack.functions.purge,
        "OutboundFederationFunction": stack.functions.outbound_federation,
        "SchedulerRole": stack.schedules.role,
        "PlatformPrincipalRole": stack.principal.role,
        "StateMachine": stack.workflow.state_machine,
        "HttpApi": stack.api.http_api,
        "HttpStage": stack.api.stage,
    }
    ids: dict[str, str] = {}
    for name, construct in elements.items():
        element = construct.node.default_child
        if not isinstance(element, cdk.CfnElement):
            raise TypeError(f"{construct.node.path} has no CloudFormation resource")
        ids[name] = str(stack.resolve(stack.get_logical_id(element)))
    return ids


def render_state_machine_definition(template: Mapping[str, Any], resolve: Resolver) -> dict[str, Any]:
    """The state machine's ASL as a dict, with every CloudFormation reference replaced by `resolve`.

    `resolve` receives each intrinsic left in the definition, e.g. `{"Fn::GetAtt": ["<LogicalId>",
    "Arn"]}` or `{"Ref": "AWS::Partition"}` (or, inside a Fn::Sub, the variable name such as
    `"AWS::Region"`), and returns the string to put in its place.
    """
    machines = [
        resource
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == STATE_MACHINE_TYPE
    ]
    if len(machines) != 1:
        raise LookupError(f"expected exactly one {STATE_MACHINE_TYPE}, found {len(machines)}")
    properties = machines[0]["Properties"]
    definition = _render(properties["DefinitionString"], resolve)
    for name, value in properties.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + name + "}", _render(value, resolve))
    parsed = json.loads(definition)
    if not isinstance(parsed, dict):
        raise TypeError("the state machine definition is not a JSON object")
    return parsed


def _render(node: Any, resolve: Resolver) -> str:
    """Turn a CloudFormation string expression into a plain string."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        function, arguments = next(iter(node.items()))
        if function == "Fn::Join":
            separator, parts = arguments
            return str(separator).join(_render(part, resolve) for part in parts)
        if function == "Fn::Sub":
            return _render_sub(arguments, resolve)
        return resolve(node)
    raise TypeError(f"not a CloudFormation string expression: {node!r}")


def _render_sub(arguments: str | list[Any], resolve: Resolver) -> str:
    text, variables = (arguments, {}) if isinstance(arguments, str) else (arguments[0], arguments[1])

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return _render(variables[name], resolve)
        return resolve(name)

    return _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")
