"""Faults the emulated AWS boundary can be made to answer with: throttling, the regions an account
has opted in to; and a log of the calls that reach it.

Each fault is a botocore `before-send` hook given to the gateway: it answers in place of AWS, in the
wire format of the service's protocol, so botocore parses and retries it exactly as a real answer.
The gateway registers the hooks it is given in that order, and the first one that answers a call
stops the others: give a `CallLog` before the faults, so that it sees every attempt.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

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
    "resource-groups-tagging-api": "json",
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def canned_answer(url: str, status: int, headers: dict[str, str], body: bytes) -> AWSResponse:
    """An answer given in place of AWS's, which botocore parses and retries as a real one."""
    return AWSResponse(url, status, headers, _Raw(body))


class Throttler:
    """Throttles a share of the calls to the services it names, at random but reproducibly.

    No call is throttled more than `max_in_a_row` times running, so a client that retries a few
    times always gets through: the test is about counting and finishing, not about giving up.
    """

    def __init__(
        self,
        fraction: float,
        services: set[str],
        seed: int = 7,
        max_in_a_row: int = 2,
        listings_only: bool = False,
    ) -> None:
        self._fraction = fraction
        self._services = services
        self._random = random.Random(seed)
        self._max_in_a_row = max_in_a_row
        # True: only the calls of crawl listings (and their detail calls) are throttled and counted;
        # validation and planning go through untouched.
        self._listings_only = listings_only
        self._lock = threading.Lock()
        self._in_a_row = threading.local()
        self.throttled = 0
        self.calls = 0
        # Throttles of calls made by crawl listings (threads named crawl-<region>), apart from
        # validation and planning calls that happen to go to the same services.
        self.throttled_listings = 0
        # Throttles of listings' calls, their detail calls (made from helper threads) included, by
        # '<crawl region>|<service id>' (service ids as in event names: auto-scaling, ...).
        self.throttled_in_listings: Counter[str] = Counter()

    def hooks(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return (("before-send", self._before_send),)

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        service = event_name.split(".")[1] if event_name.count(".") >= 1 else ""
        if service not in self._services:
            return None
        listing_region = crawl_region(signed_region(request))
        if self._listings_only and listing_region is None:
            return None
        in_a_row = getattr(self._in_a_row, "count", 0)
        with self._lock:
            self.calls += 1
            throttle = in_a_row < self._max_in_a_row and self._random.random() < self._fraction
            self.throttled += throttle
            self.throttled_listings += throttle and threading.current_thread().name.startswith("crawl-")
            if throttle and listing_region is not None:
                self.throttled_in_listings[f"{listing_region}|{service}"] += 1
        self._in_a_row.count = in_a_row + 1 if throttle else 0
        if not throttle:
            return None
        status, headers, body = _THROTTLED[_PROTOCOLS[service]]
        return canned_answer(request.url, status, headers, body)


# Threads of a crawl's listings: `crawl-<region>_<n>` for each type's listing, `describe_<n>` for
# the detail calls a listing makes several at once.
_LISTING_THREAD = re.compile(r"crawl-(?P<region>.+)_\d+")
_DETAIL_THREAD = re.compile(r"describe_\d+")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/(?P<region>[^/]+)/")


def signed_region(request: Any) -> str | None:
    """The region a request is signed for (SigV4's credential scope)."""
    if request is None:
        return None
    authorization = request.headers.get("Authorization", "")
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    match = _CREDENTIAL_SCOPE.search(authorization)
    return match.group("region") if match else None


def crawl_region(client_region: str | None) -> str | None:
    """The crawl region (`global` for the global types) a call is made for, if a listing makes it;
    None for every other call (validation, planning, credentials). Detail calls are made from
    helper threads, about regional types only: their region is their client's."""
    name = threading.current_thread().name
    listing = _LISTING_THREAD.fullmatch(name)
    if listing is not None:
        return listing.group("region")
    if _DETAIL_THREAD.fullmatch(name):
        return client_region
    return None


@dataclass(frozen=True)
class Call:
    """One attempt of one call, as it left for AWS (or, logged at `before-call`, one call as the
    client let it go, after the crawler's budget did)."""

    at: float  # the log's clock (monotonic seconds)
    service: str  # botocore's service id in event names: ec2, auto-scaling, elastic-load-balancing-v2
    operation: str
    signed_region: str | None  # None at before-call (not signed yet)
    host: str  # "" at before-call
    crawl_region: str | None  # None: not a listing's call


class CallLog:
    """Every attempt sent through the gateway's clients, in order: a recorder, not a fault.

    `event="before-call"` logs each call once instead, right after the hooks the gateway's caller
    gave (the crawler's budget and accounting), which run before the gateway's own hooks.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, event: str = "before-send") -> None:
        self._clock = clock
        self._event = event
        self._lock = threading.Lock()
        self.calls: list[Call] = []

    def hooks(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return ((self._event, self._record),)

    def _record(self, request: Any = None, context: Any = None, event_name: str = "", **_: Any) -> None:
        at = self._clock()
        parts = event_name.split(".")
        signed = signed_region(request)
        client_region = (context or {}).get("client_region") if isinstance(context, dict) else None
        call = Call(
            at=at,
            service=parts[1] if len(parts) > 1 else "",
            operation=parts[2] if len(parts) > 2 else "",
            signed_region=signed,
            host=re.sub(r"^\w+://([^/:]+).*$", r"\1", str(request.url)) if request is not None else "",
            crawl_region=crawl_region(signed or client_region),
        )
        with self._lock:
            self.calls.append(call)

    def listing_calls(self) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.crawl_region is not None]


_DESCRIBE_REGIONS = (
    '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    "<requestId>1</requestId><regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
)
_REGION_ITEM = (
    "<item><regionName>{name}</regionName><regionEndpoint>ec2.{name}.amazonaws.com</regionEndpoint>"
    "<optInStatus>{status}</optInStatus></item>"
)


class RegionsAnswer:
    """EC2 DescribeRegions answered for an account whose opt-in regions are in the given states.

    `statuses` maps opt-in regions to their `OptInStatus` (opted-in, opting-in, opting-out,
    not-opted-in); the `default` regions are opt-in-not-required. As AWS does, an answer without
    `AllRegions=true` leaves out the regions that are not opted in, unless `list_every_status`: then
    every region is listed with its status, to show that the caller reads `OptInStatus` itself.
    """

    def __init__(
        self, default: Iterable[str], statuses: dict[str, str], list_every_status: bool = False
    ) -> None:
        self._default = sorted(default)
        self._statuses = dict(statuses)
        self._list_every_status = list_every_status
        self.answered = 0

    def hooks(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return (("before-send.ec2.DescribeRegions", self._before_send),)

    def _before_send(self, request: Any, **_: Any) -> AWSResponse:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        every = self._list_every_status or "AllRegions=true" in body
        regions = [(name, "opt-in-not-required") for name in self._default] + [
            (name, status) for name, status in sorted(self._statuses.items()) if every or status == "opted-in"
        ]
        items = "".join(_REGION_ITEM.format(name=name, status=status) for name, status in regions)
        self.answered += 1
        return AWSResponse(
            request.url,
            200,
            {"Content-Type": "text/xml"},
            _Raw(_DESCRIBE_REGIONS.format(items=items).encode()),
        )


class KmsFailure:
    """KMS failing `operation` (GenerateDataKey, Decrypt) on every attempt while `active`: with an error
    `code` in KMS's own protocol (JSON 1.1) and HTTP `status`, or, with `code=None`, a network that
    does not answer. Hooked on the vault's KMS client, not the gateway's."""

    def __init__(self, operation: str, code: str | None, status: int = 400) -> None:
        self._operation = operation
        self._code = code
        self._status = status
        self.active = True
        self.attempts = 0

    def hooks(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return ((f"before-send.kms.{self._operation}", self._before_send),)

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self.active:
            return None
        self.attempts += 1
        if self._code is None:
            raise EndpointConnectionError(endpoint_url=str(request.url))
        body = f'{{"__type":"{self._code}","message":"injected by the test"}}'.encode()
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return canned_answer(request.url, self._status, headers, body)
