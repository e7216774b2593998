"""One module per AWS resource type, found by convention (the contract: `skylight.crawling.modules`).

A module `<service>_<resource>.py` in this package describes the type `aws.<service>.<resource>`
and exposes three names:

``RESOURCE``
    a `ResourceType`: its name, the boto3 service it lists, whether it is regional or global
    (global types are listed once per crawl, from the partition's home region), and, when its
    listing carries no tags, the tagging API type the crawler reads its tags from (`tags_from`).
``fetch(client) -> Iterator[dict]``
    yields the raw records of every resource, following every page with the largest page size the
    API allows, and making detail calls (one per table, cluster, ...) several at once with
    `skylight.crawling.details.described`. It is dumb on purpose: no retries, no error handling,
    no budget (the crawler owns those); it raises whatever the client raises, except from a
    detail call made through `described` or `or_as_listed` while the crawler collects
    `detail_gaps`: a listed item whose detail call is refused or fails is yielded as listed
    (`listed_only`), never dropped.
``transform(raw, location) -> Resource``
    pure: turns one raw record into the compact `Resource` that is stored (a `listed_only` one
    without the detail's attributes).

The crawler, never a module, fans out over accounts and regions (see `skylight.logic.crawls`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import islice
from types import ModuleType
from typing import Any, TypeVar

from skylight.crawling import modules
from skylight.crawling.modules import ContractError
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


ResourceModule = modules.ResourceModule[ResourceType, Location]


def load(module: ModuleType) -> ResourceModule:
    """`module` checked against the shared contract, and against what AWS's crawler needs."""
    loaded: ResourceModule = modules.load_module(module, "aws", ResourceType)
    resource_type = loaded.type
    if resource_type.skip_unchanged_pages and resource_type.tags_from and resource_type.scope is Scope.GLOBAL:
        # Its resources' tags are read in each of their regions, known only from the parsed pages.
        raise ContractError(f"{module.__name__}: a global type with tags from elsewhere parses every page")
    return loaded


@lru_cache(maxsize=1)
def code_version() -> str:
    """Of the code that turns AWS's answers into stored resources (botocore's version included)."""
    import botocore

    return modules.code_version(sys.modules[__name__], [botocore.__version__])


@lru_cache(maxsize=1)
def resource_modules() -> tuple[ResourceModule, ...]:
    """Every resource module of this package, sorted by type name."""
    return modules.discover(sys.modules[__name__], load)


def tags_of(pairs: list[dict[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's list-of-pairs tags as a plain mapping."""
    return {str(pair[key]): str(pair.get(value, "")) for pair in pairs or []}


def iso(value: Any) -> str | None:
    """A timestamp from boto3 as ISO 8601 text (stored and hashed as text)."""
    return value.isoformat() if value is not None else None


T = TypeVar("T")

# AWS writes these ARNs with an empty account field (`arn:aws:ec2:<region>::image/ami-...`): AMIs
# and snapshots can be shared with other accounts, so the account is not part of their name.
ACCOUNTLESS_EC2_KINDS = frozenset({"image", "snapshot"})


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
