"""The emulator keeps connections open between requests, frames every answer, and shuts them on stop."""

from __future__ import annotations

import http.client
import select
import socket
import time

import pytest

from local.emulator import EmulatorHandle, start_emulator
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from tests.emulator.conftest import CUSTOMER, Aws

_STS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, "
    "SignedHeaders=host, Signature=0",
    "Content-Type": "application/x-www-form-urlencoded",
}
_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15"


def _connection(emulator: EmulatorHandle) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)


def test_requests_share_one_connection(emulator: EmulatorHandle) -> None:
    connection = _connection(emulator)
    answers = []
    sockets = set()
    for _ in range(3):
        connection.request("POST", "/", _IDENTITY, _STS)
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Connection"), response.read()))
        sockets.add(id(connection.sock))
    connection.close()

    assert [(status, header) for status, header, _ in answers] == [(200, "keep-alive")] * 3
    assert all(b"<GetCallerIdentityResult>" in body for _, _, body in answers)
    assert len(sockets) == 1 and None not in sockets


def test_a_body_the_app_leaves_unread_does_not_spill_into_the_next_request(emulator: EmulatorHandle) -> None:
    """moto's reset ignores its body; the next request on the connection still parses."""
    connection = _connection(emulator)
    connection.request("POST", "/moto-api/reset", b"x" * 70_000)
    reset = connection.getresponse()
    reset.read()
    connection.request("POST", "/", _IDENTITY, _STS)
    identity = connection.getresponse()
    body = identity.read()
    connection.close()

    assert reset.status == 200
    assert identity.status == 200 and b"<GetCallerIdentityResult>" in body


def test_a_client_asking_to_close_gets_its_connection_closed(emulator: EmulatorHandle) -> None:
    connection = _connection(emulator)
    connection.request("POST", "/", _IDENTITY, {**_STS, "Connection": "close"})
    response = connection.getresponse()
    response.read()

    assert response.getheader("Connection") == "close"
    assert connection.sock is None  # http.client closed it, as the answer said


def test_answers_to_head_keep_the_connection_usable(server: Aws) -> None:
    """A HEAD answer carries its length but no body; the next answer on the connection is intact."""
    s3 = server.client("s3", CUSTOMER)
    s3.create_bucket(Bucket="kept-alive")
    s3.put_object(Bucket="kept-alive", Key="k", Body=b"12345")

    head = s3.head_object(Bucket="kept-alive", Key="k")
    listed = s3.list_objects_v2(Bucket="kept-alive")

    assert head["ContentLength"] == 5
    assert [item["Key"] for item in listed["Contents"]] == ["k"]


def test_stopping_the_emulator_shuts_its_open_connections() -> None:
    with start_emulator(port=0) as second:
        connection = _connection(second)
        connection.request("POST", "/", _IDENTITY, _STS)
        connection.getresponse().read()
        kept = connection.sock
        assert kept is not None
    kept.settimeout(5)
    try:
        closed = kept.recv(1) == b""
    except (TimeoutError, ConnectionResetError):
        closed = False
    connection.close()

    assert closed  # the server ended the connection instead of leaving it to an old app


def test_a_burst_of_new_connections_is_accepted_without_waiting_on_syn_retries(
    emulator: EmulatorHandle,
) -> None:
    """Connections beyond the accept queue have their SYN dropped and retried a second later."""
    sockets = [socket.socket() for _ in range(300)]
    started = time.monotonic()
    try:
        for each in sockets:
            each.setblocking(False)
            each.connect_ex((emulator.host, emulator.port))
        pending = list(sockets)
        while pending and time.monotonic() - started < 3:
            _, writable, _ = select.select([], pending, [], 0.05)
            pending = [each for each in pending if each not in writable]
        connected_in = time.monotonic() - started
    finally:
        for each in sockets:
            each.close()

    assert not pending
    assert connected_in < 0.9  # no connection waited for a retried SYN


def test_a_warm_crawl_client_whose_connections_were_closed_connects_again(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the crawl's client pool does to a client idle for long: closes its connections only.
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    gateway = Boto3AwsGateway("arn:aws:iam::123456789012:role/platform", "us-east-1")
    [client] = gateway.regional_clients(
        TemporaryCredentials("testing", "testing"), "us-east-1", ["sts"]
    ).values()
    connections = client._endpoint.http_session._manager.pools
    first = client.get_caller_identity()["Account"]
    client.close()
    assert len(connections) == 0

    assert client.get_caller_identity()["Account"] == first
    assert len(connections) == 1
    gateway.release([client])
