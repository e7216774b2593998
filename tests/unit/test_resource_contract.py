"""The resource module contract: every module loads, transforms purely, and stays within the policy."""

from __future__ import annotations

import copy
import json
import types
from datetime import datetime
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from skylight.crawling.modules import ResourceModule as SharedResourceModule
from skylight.gateways.sessions import shared_botocore_session, shared_client
from skylight.providers.aws.onboarding import permission_policies
from skylight.providers.aws.pages import SKIPPABLE_PROTOCOLS
from skylight.providers.aws.permissions import READ_PROBES, iam_action
from skylight.providers.aws.resources import (
    ContractError,
    Location,
    ResourceModule,
    ResourceType,
    Scope,
    load,
    resource_modules,
)
from tests.integration.resources import builders
from tests.support import INVENTORY_READ

TYPES = [
    "aws.autoscaling.group",
    "aws.dynamodb.table",
    "aws.ec2.elastic_ip",
    "aws.ec2.image",
    "aws.ec2.instance",
    "aws.ec2.security_group",
    "aws.ec2.snapshot",
    "aws.ec2.volume",
    "aws.ec2.vpc",
    "aws.ecs.cluster",
    "aws.ecs.service",
    "aws.eks.cluster",
    "aws.elbv2.load_balancer",
    "aws.lambda.function",
    "aws.rds.db_cluster",
    "aws.rds.db_instance",
    "aws.s3.bucket",
]

LOCATION = Location(account_id="111111111111", region="eu-west-1")


def canned(type_name: str) -> dict[str, Any]:
    """One raw record per type as the API answers it (timestamps as datetimes, as boto3 gives them)."""

    def revive(value: dict[str, Any]) -> Any:
        return datetime.fromisoformat(value["$datetime"]) if "$datetime" in value else value

    path = Path(__file__).parents[1] / "data" / "raw_resources.json"
    records: dict[str, Any] = json.loads(path.read_text(), object_hook=revive)
    return dict(records[type_name])


def test_every_module_loads_by_convention() -> None:
    modules = resource_modules()

    assert [m.type.name for m in modules] == TYPES
    assert all(isinstance(m, SharedResourceModule) for m in modules)
    assert {m.type.name for m in modules if m.type.scope == "global"} == {"aws.s3.bucket"}


@pytest.mark.parametrize("resource_module", resource_modules(), ids=lambda m: m.type.name)
def test_transform_is_pure(resource_module: ResourceModule) -> None:
    raw = canned(resource_module.type.name)
    untouched = copy.deepcopy(raw)

    first = resource_module.transform(raw, LOCATION)
    second = resource_module.transform(raw, LOCATION)

    assert raw == untouched
    assert first == second and first is not second
    assert first.type == resource_module.type.name
    assert first.name and first.id.startswith("arn:aws:")
    # Stored as JSON and hashed as JSON: nothing in it may need converting.
    assert first.model_dump(mode="json") == first.model_dump()
    assert 1 <= len(first.attributes) <= 12
    assert first.region == "eu-west-1"


def test_ec2_arns_are_built_from_the_location() -> None:
    transformed = {
        m.type.name: m.transform(canned(m.type.name), LOCATION)
        for m in resource_modules()
        if m.type.service == "ec2"
    }

    assert {name: resource.id.split(":", 5)[5] for name, resource in transformed.items()} == {
        "aws.ec2.elastic_ip": "elastic-ip/eipalloc-0123456789abcdef0",
        "aws.ec2.image": "image/ami-0123456789abcdef0",
        "aws.ec2.instance": "instance/i-0123456789abcdef0",
        "aws.ec2.security_group": "security-group/sg-0123456789abcdef0",
        "aws.ec2.snapshot": "snapshot/snap-0123456789abcdef0",
        "aws.ec2.volume": "volume/vol-0123456789abcdef0",
        "aws.ec2.vpc": "vpc/vpc-0a1b2c3d",
    }
    # AWS names AMIs and snapshots without an account (they can be shared); every other kind with it.
    accountless = {"aws.ec2.image", "aws.ec2.snapshot"}
    assert all(r.id.startswith("arn:aws:ec2:eu-west-1::") for n, r in transformed.items() if n in accountless)
    assert all(
        r.id.startswith("arn:aws:ec2:eu-west-1:111111111111:")
        for n, r in transformed.items()
        if n not in accountless
    )


def _module(name: str, **names: Any) -> types.ModuleType:
    module = types.ModuleType(f"skylight.providers.aws.resources.{name}")
    for key, value in names.items():
        setattr(module, key, value)
    return module


def _fetch(client: Any) -> Any:
    return iter(())


def _transform(raw: dict[str, Any], location: Location) -> Any:
    return None


@pytest.mark.parametrize(
    "broken",
    [
        _module("ec2_thing", fetch=_fetch, transform=_transform),
        _module("ec2_thing", RESOURCE=ResourceType("aws.ec2.thing", "ec2"), transform=_transform),
        _module("ec2_thing", RESOURCE=ResourceType("aws.ec2.thing", "ec2"), fetch=_fetch, transform="no"),
        _module("ec2_thing", RESOURCE="aws.ec2.thing", fetch=_fetch, transform=_transform),
        _module(
            "ec2_thing", RESOURCE=ResourceType("aws.ec2.other", "ec2"), fetch=_fetch, transform=_transform
        ),
        _module(
            "ec2_thing", RESOURCE=ResourceType("aws.ec2_thing", "ec2"), fetch=_fetch, transform=_transform
        ),
        _module(
            "s3_thing",
            RESOURCE=ResourceType(
                "aws.s3.thing", "s3", scope=Scope.GLOBAL, tags_from="s3", skip_unchanged_pages=True
            ),
            fetch=_fetch,
            transform=_transform,
        ),
    ],
    ids=[
        "no RESOURCE",
        "no fetch",
        "transform not callable",
        "RESOURCE not a type",
        "other name",
        "bad name",
        "global, tags from elsewhere, skipping pages",
    ],
)
def test_a_module_breaking_the_contract_is_refused(broken: types.ModuleType) -> None:
    with pytest.raises(ContractError):
        load(broken)


def test_a_module_keeping_the_contract_loads() -> None:
    kept = _module(
        "ec2_thing", RESOURCE=ResourceType("aws.ec2.thing", "ec2"), fetch=_fetch, transform=_transform
    )

    assert load(kept).type.name == "aws.ec2.thing"


def test_types_that_skip_unchanged_pages_speak_a_protocol_whose_page_tokens_can_be_told_apart() -> None:
    skipping = [m.type for m in resource_modules() if m.type.skip_unchanged_pages]
    session = shared_botocore_session()

    assert {t.name for t in skipping} >= {"aws.ec2.volume", "aws.ec2.snapshot", "aws.lambda.function"}
    for resource_type in skipping:
        protocol = session.get_service_model(resource_type.service).resolved_protocol
        assert protocol in SKIPPABLE_PROTOCOLS, resource_type.name


def _allowed(action: str, patterns: list[str]) -> bool:
    return any(fnmatch(action.lower(), pattern.lower()) for pattern in patterns)


def _actions_of(policy: dict[str, Any]) -> list[str]:
    return [action for statement in policy["Statement"] for action in statement["Action"]]


@cache
def _actions_called() -> dict[str, frozenset[str]]:
    """The IAM actions of every call each module makes, listing one of everything (detail calls too)."""
    called: dict[str, set[str]] = {}

    def record(type_name: str, service: str) -> Any:
        def hook(model: Any, **_: Any) -> None:
            called.setdefault(type_name, set()).add(iam_action(service, model.name))

        return hook

    with mock_aws():
        builders.every_type()
        for resource_module in resource_modules():
            service = resource_module.type.service
            client = shared_client(service, region_name="us-east-1")
            client.meta.events.register("before-call", record(resource_module.type.name, service))
            assert list(resource_module.fetch(client)), resource_module.type.name
    builders.client.cache_clear()
    return {name: frozenset(actions) for name, actions in called.items()}


def test_every_call_a_module_makes_is_allowed_by_the_read_only_policy() -> None:
    called = _actions_called()

    assert set(called) == set(TYPES)
    every_action = sorted(set().union(*called.values()))
    granted = _actions_of(permission_policies()["read_only"]["policy"])
    assert [action for action in every_action if not _allowed(action, granted)] == []
    # The customer roles of the tests may make them too.
    assert [action for action in every_action if not _allowed(action, _actions_of(INVENTORY_READ))] == []
    # Detail calls only where a type is useless without them.
    assert {name: sorted(actions) for name, actions in called.items() if len(actions) > 1} == {
        "aws.dynamodb.table": ["dynamodb:DescribeTable", "dynamodb:ListTables"],
        "aws.ecs.cluster": ["ecs:DescribeClusters", "ecs:ListClusters"],
        "aws.ecs.service": ["ecs:DescribeServices", "ecs:ListClusters", "ecs:ListServices"],
        "aws.eks.cluster": ["eks:DescribeCluster", "eks:ListClusters"],
        "aws.elbv2.load_balancer": [
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTags",
        ],
    }


def test_every_action_a_crawl_needs_has_a_probe_and_nothing_else_is_probed_or_granted() -> None:
    called = set().union(*_actions_called().values())
    # The crawler reads the tags of the types whose listings carry none, and the plan the regions.
    crawl_actions = called | {"tag:GetResources", "ec2:DescribeRegions"}
    probed = {probe.action for probe in READ_PROBES}

    assert sorted(crawl_actions - probed) == []  # connect reports what crawls will miss...
    assert sorted(probed - crawl_actions) == []  # ...and probes nothing crawls never need
    read_policy = permission_policies()["read_only"]["policy"]
    assert sorted(set(_actions_of(read_policy)) - probed) == ["iam:GetRole"]  # the trust policy review
