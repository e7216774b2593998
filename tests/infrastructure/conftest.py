"""Infrastructure tests: the stack is synthesized ONCE per session (jsii start-up costs seconds).

Every test reads the same template (with cdk-nag checks applied, as `cdk synth` does); bundling is
skipped, so pip never runs and the layer asset is a placeholder with the real asset hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.synth import Synthesis, build_app, resource_logical_ids, synthesize

# Settings a deployment overrides with `-c name=value` (strings, as the CLI gives them).
CONTEXT_OVERRIDES = {
    "tenantClaim": "org_id",
    "rolesClaim": "groups",
    "apiConcurrency": "50",
    "concurrentCrawls": "3",
    "purgeConcurrency": "2",
    "adminRoleName": "skylight-admins",
    "viewerRoleName": "skylight-viewers",
    "maxAccountsPerTenant": "50",
    "validationsPerMinute": "10",
    "crawlRequestsPerHour": "4",
    # Any case is accepted: the platform principal may then reach the platform's organization.
    "allowOwnOrganization": "True",
    "alarmEmail": "ops@example.com",
    "apiErrorRatePercent": "2",
    "crawlFailurePercent": "40",
}

Statement = dict[str, Any]
# The application's functions by role name (not the deployment's own function).
FUNCTIONS = (
    "ApiFunction",
    "BeginFunction",
    "ValidateFunction",
    "PlanFunction",
    "CrawlSegmentsFunction",
    "FinishFunction",
    "PurgeFunction",
)


class StackView:
    """Read-only helpers over the synthesized template, named after what the tests ask."""

    def __init__(self, template: dict[str, Any], logical_ids: dict[str, str]) -> None:
        self.template = template
        self.ids = logical_ids

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def properties(self, name: str) -> dict[str, Any]:
        """Properties of a resource by role name (see `infra.synth.resource_logical_ids`)."""
        return dict(self.resources[self.ids[name]]["Properties"])

    def role_of(self, function_name: str) -> str:
        """Logical id of a function's execution role."""
        role = self.properties(function_name)["Role"]
        return str(role["Fn::GetAtt"][0])

    def identity_statements(self, role_id: str) -> list[Statement]:
        """Every Allow statement granted to the role (inline policies and attached AWS::IAM::Policy)."""
        statements: list[Statement] = []
        for policy in self.resources[role_id]["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return [statement for statement in statements if statement["Effect"] == "Allow"]

    def actions(self, role_id: str) -> set[str]:
        return {
            action
            for statement in self.identity_statements(role_id)
            for action in _listed(statement["Action"])
        }

    def all_policy_statements(self) -> Iterator[Statement]:
        """Statements of every identity policy in the template (roles' inline, policies, managed)."""
        for resource in self.resources.values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for policy in properties.get("Policies", []):
                    yield from policy["PolicyDocument"]["Statement"]
            elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                yield from properties["PolicyDocument"]["Statement"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="session")
def synthesis() -> Synthesis:
    # Raises if any cdk-nag finding is unacknowledged: the checks run inside synthesis.
    return synthesize()


@pytest.fixture(scope="session")
def overridden_template() -> dict[str, Any]:
    """The template synthesized with every setting of `CONTEXT_OVERRIDES` (one more synthesis)."""
    app, stack = build_app(context=CONTEXT_OVERRIDES)
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> Template:
    return Template.from_json(synthesis.template)


@pytest.fixture(scope="session")
def view(synthesis: Synthesis) -> StackView:
    return StackView(synthesis.template, resource_logical_ids())


@pytest.fixture(scope="session")
def listed() -> Any:
    """`x` or `[x]` -> a list: IAM allows both forms for Action, Resource and Principal."""
    return _listed
