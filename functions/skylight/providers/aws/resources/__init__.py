"""One module per AWS resource type, found by convention.

A module `<service>_<resource>.py` in this package describes the type `aws.<service>.<resource>`
and exposes three names:

``RESOURCE``
    a `ResourceType`: its name, the boto3 service it lists, whether it is regional or global
    (global types are listed once per crawl, from the partition's home region), and, when its
    listing carries no tags, the tagging API type the crawler reads its tags from (`tags_from`).
``fetch(client) -> Iterator[dict]``
    yields the raw records of every resource, following every page with the largest page size the
    API allows, and making detail calls (one per table, cluster, ...) several at once with
    `described`. It is dumb on purpose: no retries, no error handling, no budget (the crawler owns
    those); it raises whatever the client raises, except from a detail call made through
    `described` or `or_as_listed` while the crawler collects `detail_gaps`: a listed item whose
    detail call is refused or fails is yielded as listed (`listed_only`), never dropped.
``transform(raw, location) -> Resource``
    pure: turns one raw record into the compact `Resource` that is stored (a `listed_only` one
    without the detail's attributes).

The crawler, never a module, fans out over accounts and regions (see `skylight.logic.crawls`).
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import islice
from pathlib import Path
from threading import Lock
from types import ModuleType
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from skylight.models.inventory import Resource


class Scope(StrEnum):
    REGIONAL = "regional"
    GLOBAL = "global"


@dataclass(frozen=True)
class ResourceType:
    name: str
    service: str
    scope: Scope = Scope.REGIONAL
    # When the listing carries no tags: the Resource Groups Tagging API type whose tags the crawler
    # reads for it, once per region for all such types (one call per resource would not scale).
    tags_from: str | None = None
    # Everything stored about the type comes from its listing's pages, one after another (no detail
    # calls), in EC2's XML or in JSON, plus, for a regional type, the tags the tagging API gives
    # (`tags_from`): when the pages and those tags are as at the last crawl, so is what they hold,
    # and the crawler does not parse the pages (see `skylight.providers.aws.pages`).
    skip_unchanged_pages: bool = False


@dataclass(frozen=True)
class Location:
    """Where a listing ran: what `transform` needs to build ARNs and to place the resource."""

    account_id: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: str | None = None, account: bool = True) -> str:
        """The ARN of `resource`; `account=False` for the kinds AWS names without one."""
        region = self.region if region is None else region
        account_id = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{account_id}:{resource}"


@dataclass(frozen=True)
class ResourceModule:
    """A loaded resource module, checked against the contract above."""

    type: ResourceType
    fetch: Callable[[Any], Iterator[dict[str, Any]]]
    transform: Callable[[dict[str, Any], Location], Resource]


class ContractError(Exception):
    """A resource module does not keep the contract."""


def load(module: ModuleType) -> ResourceModule:
    resource_type = getattr(module, "RESOURCE", None)
    fetch = getattr(module, "fetch", None)
    transform = getattr(module, "transform", None)
    short_name = module.__name__.rsplit(".", 1)[-1]
    if not isinstance(resource_type, ResourceType) or not callable(fetch) or not callable(transform):
        raise ContractError(f"{module.__name__} must define RESOURCE, fetch and transform")
    if resource_type.name != "aws." + short_name.replace("_", ".", 1):
        raise ContractError(f"{module.__name__} must describe aws.{short_name.replace('_', '.', 1)}")
    if resource_type.skip_unchanged_pages and resource_type.tags_from and resource_type.scope is Scope.GLOBAL:
        # Its resources' tags are read in each of their regions, known only from the parsed pages.
        raise ContractError(f"{module.__name__}: a global type with tags from elsewhere parses every page")
    return ResourceModule(type=resource_type, fetch=fetch, transform=transform)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Of the code that turns answers into stored resources (botocore, this package, the inventory
    model): pages recorded by other code must not vouch for what this code would store."""
    import botocore

    from skylight.models import inventory

    digest = hashlib.blake2b(botocore.__version__.encode(), digest_size=8)
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(str(inventory.__file__))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def resource_modules() -> tuple[ResourceModule, ...]:
    """Every resource module of this package, sorted by type name."""
    modules = [
        load(importlib.import_module(f"{__name__}.{info.name}"))
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return tuple(sorted(modules, key=lambda module: module.type.name))


def tags_of(pairs: list[dict[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's list-of-pairs tags as a plain mapping."""
    return {str(pair[key]): str(pair.get(value, "")) for pair in pairs or []}


def iso(value: Any) -> str | None:
    """A timestamp from boto3 as ISO 8601 text (stored and hashed as text)."""
    return value.isoformat() if value is not None else None


T = TypeVar("T")
R = TypeVar("R")

# AWS writes these ARNs with an empty account field (`arn:aws:ec2:<region>::image/ami-...`): AMIs
# and snapshots can be shared with other accounts, so the account is not part of their name.
ACCOUNTLESS_EC2_KINDS = frozenset({"image", "snapshot"})

# Detail calls about listed items go out this many at a time. Each still spends from its service's
# call budget, so a large account is paced by the budget, and a small one is not kept waiting.
DETAIL_CONCURRENCY = 8


def records(client: Any, operation: str, key: str, page_size: int, **params: Any) -> Iterator[Any]:
    """Every record under `key` of a paginated list call, asking for `page_size` records a page."""
    pages = client.get_paginator(operation).paginate(**params, PaginationConfig={"PageSize": page_size})
    for page in pages:
        yield from page.get(key, [])


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of at most `size`, for the describe calls that take a bounded list of ids."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def ec2_resource(
    resource_type: ResourceType,
    raw: dict[str, Any],
    location: Location,
    kind: str,
    id_key: str,
    attributes: dict[str, Any],
    own_name: str | None = None,
) -> Resource:
    """An EC2 record as a `Resource`: ARN `<kind>/<id>`, named by its `Name` tag, else by the name it
    has of its own (an AMI's, a security group's), else by its id."""
    resource_id = str(raw[id_key])
    tags = tags_of(raw.get("Tags"))
    return Resource(
        id=location.arn("ec2", f"{kind}/{resource_id}", account=kind not in ACCOUNTLESS_EC2_KINDS),
        type=resource_type.name,
        region=location.region,
        name=tags.get("Name") or own_name or resource_id,
        attributes=attributes,
        tags=tags,
    )


def unless_deleted(client: Any, describe: Callable[..., T], **arguments: Any) -> T | None:
    """A detail call about something just listed; None when it was deleted in between (not an error)."""
    try:
        return describe(**arguments)
    except client.exceptions.ResourceNotFoundException:
        return None


def described(
    items: Iterable[T],
    describe: Callable[[T], R | None],
    as_listed: Callable[[T], R] | None = None,
) -> Iterator[R]:
    """`describe(item)` for every listed item, up to `DETAIL_CONCURRENCY` at once, in the listing's
    order; items deleted in between (None) are skipped. With `as_listed`, `describe` is a detail
    call (see `or_as_listed`): an item whose call is refused or fails is `as_listed(item)`.

    Each call runs in a copy of the listing's context, so the crawler accounts for it (budget,
    calls, throttles, gaps) exactly as for the listing's own calls.
    """
    if as_listed is not None:
        detail, listed = describe, as_listed

        def describe(item: T) -> R | None:
            return or_as_listed(lambda: detail(item), lambda: listed(item))

    with ThreadPoolExecutor(max_workers=DETAIL_CONCURRENCY, thread_name_prefix="describe") as pool:
        # `map` takes every item before it returns, so each context is copied in the listing's thread.
        calls = pool.map(_run_in, ((contextvars.copy_context(), describe, item) for item in items))
        for result in calls:
            if result is not None:
                yield result


def _run_in(call: tuple[contextvars.Context, Callable[[T], R | None], T]) -> R | None:
    context, describe, item = call
    return context.run(describe, item)


# Marks a record that holds only what its listing said about an item: its detail call was refused or
# failed, and `transform` stores the item without the detail's attributes.
LISTED_ONLY = "skylight:listed_only"


def listed_only(**listed: Any) -> dict[str, Any]:
    """The record of an item as its listing gave it, for when its detail call was refused or failed."""
    return {**listed, LISTED_ONLY: True}


def is_listed_only(raw: dict[str, Any]) -> bool:
    return bool(raw.get(LISTED_ONLY))


class DetailGaps:
    """The detail calls of one listing that were refused or failed (from its helper threads too)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self.failures: list[ClientError | BotoCoreError] = []

    def add(self, failure: ClientError | BotoCoreError) -> None:
        with self._lock:
            self.failures.append(failure)


# A context variable, not a thread-local: `described` runs detail calls in copies of the listing's context.
_DETAIL_GAPS: contextvars.ContextVar[DetailGaps | None] = contextvars.ContextVar(
    "skylight_detail_gaps", default=None
)


@contextmanager
def detail_gaps() -> Iterator[DetailGaps]:
    """Within: a detail call that is refused or fails gives its item as listed, and is collected."""
    gaps = DetailGaps()
    token = _DETAIL_GAPS.set(gaps)
    try:
        yield gaps
    finally:
        _DETAIL_GAPS.reset(token)


def or_as_listed(detail: Callable[[], R], as_listed: Callable[[], R]) -> R:
    """A detail call's answer; while the crawler collects `detail_gaps`, what the listing said
    (`as_listed()`) when the call is refused or fails, the failure noted. Elsewhere it raises."""
    gaps = _DETAIL_GAPS.get()
    if gaps is None:
        return detail()
    try:
        return detail()
    except (ClientError, BotoCoreError) as failure:
        gaps.add(failure)
        return as_listed()
