"""Crawl clients kept warm between crawls: each crawl's credentials and hooks, and nobody's once
given back (with the production gateway; AWS's answers come from a hook, nothing leaves the host)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import NoCredentialsError

from skylight.providers.aws.client_pool import FRESH_CONNECTIONS_AFTER_S, ClientPool
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from tests.support import PLATFORM_PRINCIPAL_ARN

EMPTY_VPCS = (
    b'<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet/></DescribeVpcsResponse>'
)
ALICE = TemporaryCredentials("ASIAALICE", "alice-secret", "alice-token")
BOB = TemporaryCredentials("ASIABOB", "bob-secret", "bob-token")


class SignedAs:
    """Answers every call at `before-send` (after signing) and notes whose key signed it."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        found = re.search(r"Credential=([^/]+)/", request.headers["Authorization"].decode())
        self.keys.append(found.group(1) if found else "")
        return AWSResponse(request.url, 200, {}, _Raw(EMPTY_VPCS))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _gateway() -> tuple[Boto3AwsGateway, SignedAs]:
    signed = SignedAs()
    return Boto3AwsGateway(
        PLATFORM_PRINCIPAL_ARN, "us-east-1", event_hooks=(("before-send", signed),)
    ), signed


def test_a_client_given_back_is_lent_again_and_signs_as_the_next_crawl() -> None:
    gateway, signed = _gateway()
    [first] = gateway.regional_clients(ALICE, "eu-west-1", ["ec2"]).values()
    first.describe_vpcs()
    gateway.release([first])

    [again] = gateway.regional_clients(BOB, "eu-west-1", ["ec2"]).values()
    again.describe_vpcs()

    assert again is first
    assert signed.keys == ["ASIAALICE", "ASIABOB"]


def test_an_idle_client_has_no_credentials_and_sends_nothing() -> None:
    gateway, signed = _gateway()
    [client] = gateway.regional_clients(ALICE, "eu-west-1", ["ec2"]).values()
    gateway.release([client])

    with pytest.raises(NoCredentialsError):
        client.describe_vpcs()
    assert signed.keys == []


def test_the_hooks_of_a_crawl_leave_with_it() -> None:
    gateway, _ = _gateway()
    seen: list[str] = []

    def note(event_name: str = "", **_: Any) -> None:
        seen.append(event_name)

    [client] = gateway.regional_clients(ALICE, "eu-west-1", ["ec2"], [("before-call", note)]).values()
    client.describe_vpcs()
    gateway.release([client])
    with pytest.raises(NoCredentialsError):
        client.describe_vpcs()  # idle: its former crawl's hooks see nothing
    [again] = gateway.regional_clients(BOB, "eu-west-1", ["ec2"]).values()
    again.describe_vpcs()

    assert seen == ["before-call.ec2.DescribeVpcs"]


def test_a_hook_answering_a_call_still_answers_it() -> None:
    gateway, signed = _gateway()
    canned = (AWSResponse("", 200, {}, None), {"Vpcs": [{"VpcId": "vpc-canned"}]})
    [client] = gateway.regional_clients(
        ALICE, "eu-west-1", ["ec2"], [("before-call", lambda **_: canned)]
    ).values()

    assert client.describe_vpcs()["Vpcs"] == [{"VpcId": "vpc-canned"}]
    assert signed.keys == []  # answered before anything was signed or sent


def test_two_crawls_at_once_never_share_a_client() -> None:
    gateway, signed = _gateway()
    [alice] = gateway.regional_clients(ALICE, "eu-west-1", ["ec2"]).values()
    [bob] = gateway.regional_clients(BOB, "eu-west-1", ["ec2"]).values()
    alice.describe_vpcs()
    bob.describe_vpcs()

    assert alice is not bob
    assert signed.keys == ["ASIAALICE", "ASIABOB"]
    gateway.release([alice, bob, alice])  # giving one back twice changes nothing
    assert {id(c) for c in gateway.regional_clients(ALICE, "eu-west-1", ["ec2", "ec2"]).values()} <= {
        id(alice),
        id(bob),
    }


class _Closable:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _Signer:
    _credentials: Any = None


def _closable(region: str, service: str, hooks: Any) -> Any:
    client = _Closable(f"{region}/{service}")
    client._request_signer = _Signer()  # type: ignore[attr-defined]
    return client


def test_the_least_recently_used_idle_clients_beyond_the_limit_are_closed() -> None:
    pool = ClientPool(_closable, idle_limit=2)
    lent = [pool.take(region, "ec2", "AKID", "secret", None) for region in ("a", "b", "c")]
    pool.give_back(lent)

    assert pool.idle == 2
    assert [client.closed for client in lent] == [True, False, False]
    assert pool.take("a", "ec2", "AKID", "secret", None) is not lent[0]
    assert pool.take("c", "ec2", "AKID", "secret", None) is lent[2]


def test_a_client_idle_for_long_is_lent_with_fresh_connections() -> None:
    now = [100.0]
    pool = ClientPool(_closable, clock=lambda: now[0])
    client = pool.take("a", "ec2", "AKID", "secret", None)
    pool.give_back([client])
    now[0] += 5
    assert pool.take("a", "ec2", "AKID", "secret", None) is client and not client.closed
    pool.give_back([client])
    now[0] += FRESH_CONNECTIONS_AFTER_S + 1

    assert pool.take("a", "ec2", "AKID", "secret", None) is client
    assert client.closed  # its connections, that is: botocore opens new ones on the next call


def test_a_crawl_cannot_lend_an_event_the_pool_does_not_dispatch() -> None:
    gateway, _ = _gateway()

    with pytest.raises(ValueError, match="request-created"):
        gateway.regional_clients(ALICE, "eu-west-1", ["ec2"], [("request-created", lambda **_: None)])
