"""The emulator's lean request reading gives moto what the standard library and werkzeug gave it."""

from __future__ import annotations

import http.client
import io
import socket
import sys
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import MotoRequestHandler

from local.emulator import EmulatorHandle, lean_http

SIGNED = (
    b"Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20260101/eu-west-1/ec2/aws4_request, "
    b"SignedHeaders=host;x-amz-date, Signature=abc\r\n"
)
HEADS = [
    b"Host: 127.0.0.1:5000\r\nAccept-Encoding: identity\r\nX-Amz-Date: 20260101T000000Z\r\n" + SIGNED,
    b"Host: h\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n"
    b"X-Amz-Target: DynamoDB_20120810.GetItem\r\n" + SIGNED,
    b"Host: h\r\nX-Dup: one\r\nX-Dup: two\r\nUser-Agent:  Boto3/1.40 md/x \r\n",
    b"Host: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n",
    b"host: h\r\nCONTENT-length: 0\r\nx-amz-meta-key: v:w\r\n",
]
TARGETS = ["/", "/?Action=DescribeInstances&Version=2016-11-15", "/b%C3%BCcket/a%2Fkey?list-type=2"]


@pytest.mark.parametrize("head", HEADS)
def test_headers_are_read_as_the_standard_library_reads_them(head: bytes) -> None:
    expected = http.client.parse_headers(io.BytesIO(head + b"\r\nbody"))
    stream = io.BytesIO(head + b"\r\nbody")

    assert lean_http.read_headers(stream) == list(expected.items())
    assert stream.read() == b"body"  # the body is left for the request


@pytest.mark.parametrize(
    ("head", "status"),
    [(b"Bad header without colon\r\n", 400), (b" Folded: no\r\n", 400), (b"X: " + b"a" * 70_000, 431)],
)
def test_a_head_it_cannot_read_is_refused_with_a_status(head: bytes, status: int) -> None:
    with pytest.raises(lean_http.HeadError) as refused:
        lean_http.read_headers(io.BytesIO(head + b"\r\n\r\n"))
    assert refused.value.status == status


def test_more_than_a_hundred_headers_are_refused() -> None:
    head = b"".join(b"X-%d: v\r\n" % number for number in range(101)) + b"\r\n"
    with pytest.raises(lean_http.HeadError) as refused:
        lean_http.read_headers(io.BytesIO(head))
    assert refused.value.status == 431


@pytest.mark.parametrize(
    "line", [b"GET http://h/ HTTP/1.1\r\n", b"GET //x HTTP/1.1\r\n", b"GET / HTTP/2\r\n", b"GET /\r\n"]
)
def test_request_lines_it_does_not_cover_are_left_to_the_standard_library(line: bytes) -> None:
    assert lean_http.simple_request_line(line) is None


class _Server:
    server_address = ("127.0.0.1", 5000)
    ssl_context = None
    multithread = True
    multiprocess = False
    _server_version = "Werkzeug/test"

    def log(self, *_: Any) -> None:
        return None


def _reference_environ(
    method: str, target: str, headers: http.client.HTTPMessage, body: io.BytesIO
) -> dict[str, Any]:
    """What werkzeug's and moto's request handler build (called on a handler with no socket)."""
    handler = MotoRequestHandler.__new__(MotoRequestHandler)
    handler.server = _Server()  # type: ignore[assignment]
    handler.client_address = ("127.0.0.1", 40000)
    handler.command, handler.path, handler.request_version = method, target, "HTTP/1.1"
    handler.headers = headers
    handler.rfile = body  # type: ignore[assignment]
    handler.connection = socket.socket()
    try:
        return handler.make_environ()
    finally:
        handler.connection.close()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("head", [head for head in HEADS if b"x-amz-meta" not in head])
def test_the_environ_is_the_one_werkzeug_and_moto_build(head: bytes, target: str) -> None:
    headers = http.client.parse_headers(io.BytesIO(head + b"\r\n"))
    body = io.BytesIO(b"{}")
    reference = _reference_environ("POST", target, headers, body)
    lean_headers = lean_http.Headers(lean_http.read_headers(io.BytesIO(head + b"\r\n")))
    assert lean_http.plain_headers(lean_headers)

    lean = lean_http.environ_for(
        "POST",
        target,
        "HTTP/1.1",
        lean_headers,
        body,
        _Server.server_address,
        ("127.0.0.1", 40000),
        reference["SERVER_SOFTWARE"],
        reference["werkzeug.socket"],
    )

    chunked = "wsgi.input_terminated" in reference
    for environ in (lean, reference):
        stream = environ.pop("wsgi.input")
        assert type(stream).__name__ == ("DechunkedInput" if chunked else "BytesIO")
    assert lean["wsgi.errors"] is sys.stderr
    assert lean == reference


def test_headers_with_underscores_take_the_standard_path(emulator: EmulatorHandle) -> None:
    """moto keeps an S3 metadata header's underscore; the lean path leaves such heads to it."""
    s3 = emulator.client("s3", "111111111111")
    s3.create_bucket(Bucket="lean-path")
    s3.put_object(Bucket="lean-path", Key="k", Body=b"1", Metadata={"my_key": "v", "other-key": "w"})

    assert s3.head_object(Bucket="lean-path", Key="k")["Metadata"] == {"my_key": "v", "other-key": "w"}
