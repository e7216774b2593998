"""Listings whose pages are as the last crawl's are not parsed.

Reading EC2's XML and Lambda's JSON is most of the CPU a crawl of a large region spends, and most
crawls find most of an account as it was. For a type whose stored resources come only from its
listing's pages and, where the listing carries no tags, from the tags the tagging API gave for it
(`ResourceType.skip_unchanged_pages`), the crawler records a fingerprint of what it received: each
page without the parts that differ on every call (the request id and the page token), in order,
then the type's tags, with the version of the code that turns them into resources. Next crawl:

1. Each answer is kept as received, and botocore parses in its place a page that holds nothing but
   the page token, so the paginator goes on to the next page as usual (a `before-parse` hook).
2. Same fingerprint as recorded: the listing is unchanged, and nothing of it is parsed.
3. Any other fingerprint: the kept answers go back through the same client, in order, as answers
   to the same calls (a `before-call` hook, the way botocore's stubber answers), and are parsed in
   full. AWS is not called again, and the call budget and counts are not charged twice.

Only a complete, successful listing is compared: an error answer is parsed as usual and fails the
listing, whose previous items are then kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.awsrequest import AWSResponse

from skylight.gateways.sessions import shared_botocore_session
from skylight.providers.aws.resources import code_version

# The protocols whose pages can be told apart from their page tokens (EC2's XML, and JSON).
SKIPPABLE_PROTOCOLS = frozenset({"ec2", "json", "rest-json"})

# Differ on every call, whatever the resources: left out of a page's fingerprint.
_VOLATILE = re.compile(rb"<requestId>[^<]*</requestId>|<nextToken>[^<]*</nextToken>")
_TOKEN = re.compile(rb"<nextToken>[^<]*</nextToken>")
_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z][\w.-]*)(?:\s[^>]*)?>")


def page_fingerprint(body: bytes) -> str:
    """An EC2 page's bytes without its request id and page token, hashed."""
    return _digest(_VOLATILE.sub(b"", body))


def token_only(body: bytes) -> bytes | None:
    """The EC2 page with nothing but its page token (if any) under its root element; None when that
    cannot be told for sure (no root element, or more than one token)."""
    root = _ROOT.match(body)
    tokens = _TOKEN.findall(body)
    if root is None or len(tokens) > 1:
        return None
    return root.group(0) + b"".join(tokens) + b"</" + root.group(1) + b">"


@dataclass(frozen=True)
class PageParts:
    """What the recorder takes from a page."""

    fingerprint: str
    token_only: bytes | None  # None: parse the page as it is
    holds_items: bool = True  # False only when the page surely lists nothing


def json_page_parts(body: bytes, token_keys: tuple[str, ...]) -> PageParts:
    """A JSON page's fingerprint (without its page tokens), the page with nothing but them (None
    when that cannot be told for sure: not a JSON object, or no known token names), and whether any
    of its lists holds anything."""
    try:
        document = json.loads(body)
    except ValueError:
        return PageParts(_digest(body), None)
    if not isinstance(document, dict) or not token_keys:
        return PageParts(_digest(body), None)
    tokens = {key: document.pop(key) for key in token_keys if key in document}
    # The same bytes load to the same document, dumped alike: equal pages, equal fingerprints.
    rest = json.dumps(document, separators=(",", ":")).encode()
    holds_items = any(isinstance(value, list) and value for value in document.values())
    return PageParts(_digest(rest), json.dumps(tokens).encode(), holds_items)


def page_parts(operation_model: Any, body: bytes) -> PageParts:
    """A page's fingerprint and its token-only stand-in, by protocol."""
    protocol = operation_model.service_model.resolved_protocol
    if protocol == "ec2":
        return PageParts(page_fingerprint(body), token_only(body))
    if protocol in ("json", "rest-json"):
        return json_page_parts(body, _json_token_keys(operation_model))
    return PageParts(_digest(body), None)


def _digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _json_token_keys(operation_model: Any) -> tuple[str, ...]:
    """The names an operation's page tokens have in its JSON answers."""
    service_model = operation_model.service_model
    tokens = _output_tokens(service_model.service_name, service_model.api_version, operation_model.name)
    members = operation_model.output_shape.members
    return tuple(members[token].serialization.get("name", token) for token in tokens)


@lru_cache(maxsize=256)
def _output_tokens(service_name: str, api_version: str, operation_name: str) -> tuple[str, ...]:
    """An operation's page tokens, from botocore's paginator model; none when one is an expression
    (a.b, x || y) rather than one top-level member."""
    model = shared_botocore_session().get_paginator_model(service_name, api_version)
    try:
        output_token = model.get_paginator(operation_name)["output_token"]
    except ValueError:  # not a paginated operation
        return ()
    tokens = (output_token,) if isinstance(output_token, str) else tuple(output_token)
    return tokens if all(token.isidentifier() for token in tokens) else ()


class PageRecorder:
    """One listing's pages: their fingerprint and, when there is one to compare with, the answers
    as received (botocore parses only their page tokens meanwhile)."""

    def __init__(self, recorded: str | None) -> None:
        self._recorded = recorded
        self._digest = hashlib.blake2b(code_version().encode(), digest_size=16)
        self.kept: list[tuple[str, dict[str, Any]]] = []
        self.holds_items = False  # whether any page may list something
        self._covered = True

    @property
    def skipping(self) -> bool:
        return self._recorded is not None

    def received(self, operation_model: Any, response_dict: dict[str, Any]) -> None:
        body = response_dict.get("body")
        if response_dict.get("status_code") != 200 or not isinstance(body, bytes):
            return  # an error fails the listing; it is parsed as usual
        parts = page_parts(operation_model, body)
        self._digest.update(operation_model.name.encode() + parts.fingerprint.encode())
        self.holds_items = self.holds_items or parts.holds_items
        if not self.skipping:
            return
        self.kept.append((operation_model.name, dict(response_dict)))
        if parts.token_only is not None:
            response_dict["body"] = parts.token_only

    def covers(self, material: bytes) -> None:
        """Folds into the fingerprint what else the listing's resources are made of (their tags,
        when those come from the tagging API): a change there is a change of the listing."""
        self._digest.update(b"\0covers\0" + material)

    def cannot_cover(self) -> None:
        """What else the resources are made of could not be read (the tagging API refused or
        failed): the pages alone vouch for nothing, and the listing is never reported unchanged."""
        self._covered = False

    @property
    def fingerprint(self) -> str:
        return self._digest.hexdigest()

    @property
    def unchanged(self) -> bool:
        return self.skipping and self._covered and self.fingerprint == self._recorded


class _Replay:
    """The kept answers, handed back in order to the calls that asked for them."""

    def __init__(self, kept: list[tuple[str, dict[str, Any]]]) -> None:
        self._kept: Iterator[tuple[str, dict[str, Any]]] = iter(kept)

    def answer(self, operation_model: Any) -> tuple[AWSResponse, dict[str, Any]]:
        operation, response = next(self._kept, (None, {}))
        if operation != operation_model.name:
            raise RuntimeError(f"no kept answer to {operation_model.name}")
        protocol = operation_model.service_model.resolved_protocol
        parser = shared_botocore_session().get_component("response_parser_factory").create_parser(protocol)
        parsed = parser.parse(dict(response), operation_model.output_shape)
        http = AWSResponse(url="", status_code=response["status_code"], headers=response["headers"], raw=None)
        return http, parsed


# The listing being recorded, and the one being replayed, in this context (the listing's thread).
_RECORDING: ContextVar[PageRecorder | None] = ContextVar("skylight_pages_recording", default=None)
_REPLAYING: ContextVar[_Replay | None] = ContextVar("skylight_pages_replaying", default=None)


def replaying() -> bool:
    """Whether calls in this context are answered from kept pages (nothing to charge for them)."""
    return _REPLAYING.get() is not None


@contextmanager
def recording(recorder: PageRecorder) -> Iterator[PageRecorder]:
    token = _RECORDING.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDING.reset(token)


@contextmanager
def replayed(recorder: PageRecorder) -> Iterator[None]:
    token = _REPLAYING.set(_Replay(recorder.kept))
    try:
        yield
    finally:
        _REPLAYING.reset(token)


def _before_parse(operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
    recorder = _RECORDING.get()
    if recorder is not None and _REPLAYING.get() is None:
        recorder.received(operation_model, response_dict)


def _before_call(model: Any = None, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    replay = _REPLAYING.get()
    return None if replay is None else replay.answer(model)


def hooks() -> list[tuple[str, Callable[..., Any]]]:
    """For a client whose listings may skip pages; the `before-call` one must be registered first."""
    return [("before-parse", _before_parse), ("before-call", _before_call)]
