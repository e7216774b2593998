"""Clients share their service model, class and handler table; credentials, region and handlers stay
their own."""

from __future__ import annotations

import copy
import random

import boto3
import botocore.config
import botocore.session
import botocore.useragent
import pytest
from botocore.hooks import _PrefixTrie

from skylight.gateways.client_reuse import CopyOnWriteTrie
from skylight.gateways.sessions import (
    proxies_from_environment,
    session_with_shared_models,
    shared_client,
    shared_session,
)


def _client(region: str, key: str) -> object:
    return shared_client(
        "ec2",
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        aws_session_token="t",
    )


def test_clients_of_one_session_share_model_and_class_but_not_identity() -> None:
    first, second = _client("us-east-1", "AKIAFIRST"), _client("eu-west-1", "AKIASECOND")

    assert first.meta.service_model is second.meta.service_model  # type: ignore[attr-defined]
    assert type(first) is type(second)
    assert first.meta.region_name == "us-east-1" and second.meta.region_name == "eu-west-1"  # type: ignore[attr-defined]
    assert first._request_signer._credentials.access_key == "AKIAFIRST"  # type: ignore[attr-defined]
    assert second._request_signer._credentials.access_key == "AKIASECOND"  # type: ignore[attr-defined]
    # Each has its own handlers (the crawler's budget hooks are per client).
    assert first.meta.events is not second.meta.events  # type: ignore[attr-defined]


def _endpoint(client: object, operation: str) -> str:
    resolver = client._ruleset_resolver  # type: ignore[attr-defined]
    model = client.meta.service_model.operation_model(operation)  # type: ignore[attr-defined]
    return str(resolver.construct_endpoint(operation_model=model, call_args={}, request_context={}).url)


def test_clients_of_one_service_share_its_endpoint_rules_and_each_resolves_its_own_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_USE_FIPS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    east, west = _client("us-east-1", "AKIAEAST"), _client("eu-west-1", "AKIAWEST")
    fips = shared_client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id="AKIAFIPS",
        aws_secret_access_key="secret",
        config=botocore.config.Config(use_fips_endpoint=True),
    )
    other_service = shared_client(
        "lambda", region_name="us-east-1", aws_access_key_id="AKIAL", aws_secret_access_key="secret"
    )

    providers = {id(client._ruleset_resolver._provider) for client in (east, west, fips)}  # type: ignore[attr-defined]
    assert len(providers) == 1
    assert other_service._ruleset_resolver._provider is not east._ruleset_resolver._provider  # type: ignore[attr-defined]
    # Resolved in this order, each answer comes from the shared cache of the one before if it were
    # keyed wrongly.
    assert _endpoint(east, "DescribeVpcs") == "https://ec2.us-east-1.amazonaws.com"
    assert _endpoint(west, "DescribeVpcs") == "https://ec2.eu-west-1.amazonaws.com"
    assert _endpoint(fips, "DescribeVpcs") == "https://ec2-fips.us-east-1.amazonaws.com"
    assert _endpoint(other_service, "ListFunctions") == "https://lambda.us-east-1.amazonaws.com"


def test_sessions_sharing_the_data_loader_share_models_and_others_do_not() -> None:
    shared = shared_session().client("sts", region_name="us-east-1")
    own = boto3.Session(botocore_session=session_with_shared_models()).client("sts", region_name="us-east-1")
    separate = botocore.session.get_session().create_client("sts", region_name="us-east-1")

    assert own.meta.service_model is shared.meta.service_model
    assert separate.meta.service_model is not shared.meta.service_model
    assert separate.meta.service_model.service_name == "sts"


def test_a_handler_registered_on_one_client_reaches_only_that_client() -> None:
    first, second = _client("us-east-1", "AKIAFIRST"), _client("us-east-1", "AKIASECOND")
    seen: list[str] = []

    def hook(**_: object) -> None:
        seen.append("called")

    event = "skylight-probe.ec2.DescribeVpcs"  # an event no botocore handler listens to
    first.meta.events.register(event, hook)  # type: ignore[attr-defined]
    second.meta.events.emit(event)  # type: ignore[attr-defined]
    shared_session()._session.get_component("event_emitter").emit(event)
    assert seen == []

    first.meta.events.emit(event)  # type: ignore[attr-defined]
    assert seen == ["called"]


def _random_operations(seed: int) -> list[tuple[str, str, int, int]]:
    """(operation, event name, handler, section): registrations, removals and copies, as clients do."""
    chooser = random.Random(seed)
    names = [
        ".".join(chooser.choice(parts) for parts in levels[: chooser.randint(1, 3)])
        for levels in [[["before-call", "after-call", "*"], ["ec2", "s3", "*"], ["DescribeVpcs", "*"]]] * 40
    ]
    return [
        (
            chooser.choice(["append", "append", "append", "remove", "copy"]),
            chooser.choice(names),
            chooser.randrange(8),
            chooser.randrange(3),
        )
        for _ in range(400)
    ]


def _handlers_of(table: _PrefixTrie, names: list[str]) -> list[list[int]]:
    return [list(table.prefix_search(name)) for name in names]


def test_the_copy_on_write_table_behaves_as_botocores_own_copies_and_all() -> None:
    """Every change, search and copy gives what botocore's deep-copied table gives."""
    probes = [
        "before-call.ec2.DescribeVpcs",
        "after-call.s3.DescribeVpcs",
        "before-call.s3",
        "after-call",
        "x",
    ]
    for seed in range(20):
        plain: list[_PrefixTrie] = [_PrefixTrie()]
        shared: list[_PrefixTrie] = [CopyOnWriteTrie()]
        for operation, name, handler, section in _random_operations(seed):
            index = handler % len(plain)
            if operation == "copy":
                plain.append(copy.copy(plain[index]))
                shared.append(copy.copy(shared[index]))
            elif operation == "append":
                plain[index].append_item(name, handler, section)
                shared[index].append_item(name, handler, section)
            else:
                outcomes = []
                for table in (plain[index], shared[index]):
                    try:
                        table.remove_item(name, handler)
                        outcomes.append("removed")
                    except (ValueError, AttributeError):
                        outcomes.append("refused")
                assert outcomes[0] == outcomes[1] or outcomes[0] == "refused"
        for original, copied in zip(plain, shared, strict=True):
            assert _handlers_of(copied, probes) == _handlers_of(original, probes)


def test_the_shared_session_table_is_copy_on_write_and_copies_are_independent() -> None:
    emitter = shared_session()._session.get_component("event_emitter")
    table = emitter._emitter._handlers
    assert isinstance(table, CopyOnWriteTrie)

    copied = copy.copy(table)
    copied.append_item("before-call.ec2.DescribeVpcs", "only-in-the-copy")

    assert "only-in-the-copy" in copied.prefix_search("before-call.ec2.DescribeVpcs")
    assert "only-in-the-copy" not in table.prefix_search("before-call.ec2.DescribeVpcs")


def test_user_agent_parts_are_cleaned_as_botocore_cleans_them() -> None:
    clean = botocore.useragent.sanitize_user_agent_string_component
    original = clean.__wrapped__  # type: ignore[attr-defined]
    for raw, allow_hash in [
        ("Boto3 1.0/x", False),
        ("md/feat#1 é", True),
        ("md/feat#1 é", False),
        ("", True),
    ]:
        assert clean(raw, allow_hash) == original(raw, allow_hash)
    assert clean("a b", False) == "a-b"


def test_proxies_are_left_to_botocore_only_when_the_environment_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxies_from_environment() == {}

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert proxies_from_environment() is None
