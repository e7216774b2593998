"""Inventory as stored and shown: compact resources, crawls, per-account summaries and health."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Resource(BaseModel):
    """One cloud resource, stored compactly: identity, a handful of useful attributes, and tags."""

    id: str = Field(description="The ARN where the resource has one, else the provider's id")
    type: str = Field(description="aws.<service>.<resource>, e.g. aws.ec2.instance")
    region: str
    name: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    def content_hash(self) -> str:
        """Changes exactly when something shown about the resource changes."""
        document = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(document.encode(), digest_size=12).hexdigest()


class ListedResource(Resource):
    """A stored resource as shown: whether its last listing failed since, and when it was listed."""

    stale: bool = Field(False, description="Its (region, type) failed to list since; kept as last seen")
    last_success_at: datetime | None = Field(None, description="When its (region, type) last listed")


class CrawlStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


GLOBAL_SEGMENT = "global"


class ListingError(BaseModel):
    """Why one (region, type) listing failed, or which of its detail calls did: the provider's own
    code and message, and the action that was refused or failed when it is known."""

    region: str
    service: str
    type: str
    code: str
    message: str
    at: datetime
    action: str | None = Field(default=None, description="The IAM action of the call, e.g. tag:GetResources")


class TypeListing(BaseModel):
    """The outcome of listing one resource type in one region (or once, for global types)."""

    type: str
    service: str
    resources: list[Resource] | None = Field(
        description="None when the listing failed, or when its pages were unchanged (not parsed)"
    )
    api_calls: int = 0
    pages: int = Field(0, description="The longest chain of calls that had to run one after another")
    throttles: int = 0
    error: ListingError | None = None
    gaps: list[ListingError] = Field(
        default_factory=list,
        description="Detail or tagging calls that were refused or failed: what the listing returned is "
        "kept, without what those calls would have added (attributes, tags)",
    )
    pages_fingerprint: str | None = Field(
        default=None,
        description="Of the answers' pages as received, for types that can skip unchanged pages; never "
        "for a listing with gaps (its pages do not vouch for what is stored)",
    )
    unchanged_pages: bool = Field(
        default=False,
        description="The pages were those recorded last time: nothing was parsed (`resources` is None)",
    )


class WriteStats(BaseModel):
    """What committing listings wrote to storage (DynamoDB write units for resource items only)."""

    puts: int = 0
    deletes: int = 0
    unchanged: int = 0
    write_units: int = 0

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(
            puts=self.puts + other.puts,
            deletes=self.deletes + other.deletes,
            unchanged=self.unchanged + other.unchanged,
            write_units=self.write_units + other.write_units,
        )


class TypeOutcome(BaseModel):
    """What listing one type in one region gave, as recorded for the crawl's summary (no resources)."""

    service: str = ""
    count: int = 0
    by_region: dict[str, int] = Field(default_factory=dict)
    api_calls: int = 0
    pages: int = 0
    throttles: int = 0
    error: ListingError | None = None
    gaps: list[ListingError] = Field(default_factory=list, description="Stored without some detail")


class SegmentProgress(BaseModel):
    """How far the crawl of one segment (AWS: a region, or the global types) has come."""

    status: str = "pending"  # pending, running, succeeded, partial, failed, skipped
    outcomes: dict[str, TypeOutcome] = Field(default_factory=dict, description="by resource type")
    types_total: int = 0
    types_done: int = 0
    resources: int = 0
    api_calls: int = 0
    throttles: int = 0
    errors: int = 0
    gaps: int = Field(default=0, description="Types listed without some detail (a call refused or failed)")
    writes: WriteStats = Field(default_factory=WriteStats)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Crawl(BaseModel):
    """One crawl of one account: its progress per segment of its plan and its outcome."""

    id: str
    tenant_id: str
    account_id: str
    trigger: str
    status: CrawlStatus = CrawlStatus.RUNNING
    started_at: datetime
    finished_at: datetime | None = None
    #: By segment: what the provider plans a crawl in (AWS: each enabled region, and `global`).
    segments: dict[str, SegmentProgress] = Field(default_factory=dict)
    resources: int = 0
    counts_by_type: dict[str, int] = Field(default_factory=dict)
    api_calls: int = 0
    throttles: int = 0
    writes: WriteStats = Field(default_factory=WriteStats)
    errors: list[ListingError] = Field(default_factory=list)
    failure: str | None = Field(default=None, description="Why the whole crawl failed, when it did")
    #: The Step Functions execution running it, once its first state ran (to stop it at disconnect).
    execution_arn: str | None = None


class ListingSummary(BaseModel):
    """What is known of one (segment, type) listing: counts (by the resources' own regions) from the
    last good listing, and its freshness."""

    count: int = 0
    by_region: dict[str, int] = Field(default_factory=dict)
    last_success_at: datetime | None = None
    stale: bool = False
    error: ListingError | None = None
    gaps: list[ListingError] = Field(
        default_factory=list, description="What the stored items lack: the calls that were refused or failed"
    )
    throttles: int = 0


class InventorySummary(BaseModel):
    """Per account: totals by type and by region, and what the last crawls did."""

    tenant_id: str
    account_id: str
    segments: dict[str, ListingSummary] = Field(default_factory=dict, description="key: '<segment>|<type>'")
    last_crawl_id: str | None = None
    last_crawl_status: CrawlStatus | None = None
    last_crawl_at: datetime | None = None
    last_successful_crawl_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments.values())

    @property
    def by_type(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for key, segment in self.segments.items():
            resource_type = key.split("|", 1)[1]
            totals[resource_type] = totals.get(resource_type, 0) + segment.count
        return dict(sorted(totals.items()))

    @property
    def by_region(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for segment in self.segments.values():
            for region, count in segment.by_region.items():
                totals[region] = totals.get(region, 0) + count
        return dict(sorted(totals.items()))


def segment_key(segment: str, resource_type: str) -> str:
    return f"{segment}|{resource_type}"


def listing_digest(hashes: dict[str, str]) -> str:
    """One digest of a whole (region, type) listing, from each resource's id and content hash.

    Two listings have the same digest exactly when they would store the same items, so a crawl
    that finds the digest it recorded last time needs neither to read nor to write that listing.
    """
    digest = hashlib.blake2b(digest_size=16)
    for resource_id in sorted(hashes):
        digest.update(f"{resource_id}\t{hashes[resource_id]}\n".encode())
    return f"{len(hashes)}:{digest.hexdigest()}"


class RecordedListing(BaseModel):
    """What is recorded of a (region, type) listing once its items are stored: its `listing_digest`
    and, for types that can skip unchanged pages, the fingerprint of the pages it came from."""

    digest: str
    pages: str | None = None

    @property
    def count(self) -> int:
        return int(self.digest.split(":", 1)[0])

    def encode(self) -> str:
        return self.digest if self.pages is None else f"{self.digest} pages={self.pages}"

    @classmethod
    def decode(cls, text: str) -> RecordedListing:
        digest, _, pages = text.partition(" pages=")
        return cls(digest=digest, pages=pages or None)
