"""Faults the emulated AWS boundary can be made to answer with: throttling, for now.

Each fault is a botocore `before-send` hook given to the gateway: it answers in place of AWS, in the
wire format of the service's protocol, so botocore parses and retries it exactly as a real answer.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse

# Throttling as each protocol says it: (HTTP status, headers, body).
_THROTTLED: dict[str, tuple[int, dict[str, str], bytes]] = {
    "ec2": (
        503,
        {"Content-Type": "text/xml"},
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
        b"</Message></Error></Errors><RequestID>1</RequestID></Response>",
    ),
    "query": (
        400,
        {"Content-Type": "text/xml"},
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
        b"</Error><RequestId>1</RequestId></ErrorResponse>",
    ),
    "json": (
        400,
        {"Content-Type": "application/x-amz-json-1.1"},
        b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
    ),
    "rest-json": (
        429,
        {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"},
        b'{"message":"Rate exceeded"}',
    ),
    "rest-xml": (
        503,
        {"Content-Type": "application/xml"},
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
    ),
}
_PROTOCOLS = {
    "ec2": "ec2",
    "rds": "query",
    "auto-scaling": "query",
    "elastic-load-balancing-v2": "query",
    "sts": "query",
    "iam": "query",
    "ecs": "json",
    "dynamodb": "json",
    "lambda": "rest-json",
    "eks": "rest-json",
    "s3": "rest-xml",
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


class Throttler:
    """Throttles a share of the calls to the services it names, at random but reproducibly.

    No call is throttled more than `max_in_a_row` times running, so a client that retries a few
    times always gets through: the test is about counting and finishing, not about giving up.
    """

    def __init__(self, fraction: float, services: set[str], seed: int = 7, max_in_a_row: int = 2) -> None:
        self._fraction = fraction
        self._services = services
        self._random = random.Random(seed)
        self._max_in_a_row = max_in_a_row
        self._lock = threading.Lock()
        self._in_a_row = threading.local()
        self.throttled = 0
        self.calls = 0
        # Throttles of calls made by crawl listings (threads named crawl-<region>), apart from
        # validation and planning calls that happen to go to the same services.
        self.throttled_listings = 0

    def hooks(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return (("before-send", self._before_send),)

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        service = event_name.split(".")[1] if event_name.count(".") >= 1 else ""
        if service not in self._services:
            return None
        in_a_row = getattr(self._in_a_row, "count", 0)
        with self._lock:
            self.calls += 1
            throttle = in_a_row < self._max_in_a_row and self._random.random() < self._fraction
            self.throttled += throttle
            self.throttled_listings += throttle and threading.current_thread().name.startswith("crawl-")
        self._in_a_row.count = in_a_row + 1 if throttle else 0
        if not throttle:
            return None
        status, headers, body = _THROTTLED[_PROTOCOLS[service]]
        return AWSResponse(request.url, status, headers, _Raw(body))
