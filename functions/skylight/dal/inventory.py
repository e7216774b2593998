"""What the crawl and inventory use cases need from storage; the DynamoDB implementation sits beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from skylight.models.domain import Account, Tenant
from skylight.models.inventory import Crawl, InventorySummary, Resource, SegmentProgress, WriteStats


@dataclass(frozen=True)
class ResourcePage:
    items: list[Resource]
    next_cursor: str | None
    # The segment (region, or `global`) each item was listed under, in the same order.
    segments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CrawlPage:
    items: list[Crawl]
    next_cursor: str | None


@dataclass(frozen=True)
class SegmentStart:
    """What a batch of segments reads before its first call: the account (None: missing or expired),
    its tenant (None: never stored) and, by segment, its recorded listing digests (absent: none)."""

    account: Account | None
    tenant: Tenant | None
    digests: dict[str, dict[str, str]] = field(default_factory=dict)


class CrawlRunning(Exception):
    """Another crawl of the account holds the lock."""

    def __init__(self, crawl_id: str) -> None:
        super().__init__(crawl_id)
        self.crawl_id = crawl_id


class InventoryRepository(Protocol):
    def hashes(self, tenant_id: str, account_id: str, segment: str, resource_type: str) -> dict[str, str]:
        """Content hash of every stored resource of one (segment, type), by resource id."""
        ...

    def all_digests(self, tenant_id: str, account_id: str) -> dict[str, dict[str, str]]:
        """By segment, the listing digest of each type whose stored items match it, by type, in one
        query (a segment with none is absent)."""
        ...

    def forget_digests(self, tenant_id: str, account_id: str, segment: str) -> None:
        """Call before changing any item of `segment`: until saved again, no digest vouches for them."""
        ...

    def save_digests(self, tenant_id: str, account_id: str, segment: str, digests: dict[str, str]) -> None:
        """Record the digests of `segment`'s listings once their items are stored."""
        ...

    def write(
        self,
        tenant_id: str,
        account_id: str,
        segment: str,
        resource_type: str,
        puts: list[Resource],
        deletes: list[str],
    ) -> WriteStats:
        """Store changed or new resources and remove gone ones (by id); report the write units spent."""
        ...

    def page(
        self,
        tenant_id: str,
        account_id: str,
        resource_type: str | None,
        region: str | None,
        limit: int,
        cursor: str | None,
    ) -> ResourcePage:
        """A page of the account's resources, optionally of one type and/or region."""
        ...

    def summary(self, tenant_id: str, account_id: str) -> InventorySummary | None: ...

    def save_summary(self, summary: InventorySummary) -> None: ...

    def summaries(self, tenant_id: str) -> list[InventorySummary]:
        """Every account summary of the tenant."""
        ...

    def purge(self, tenant_id: str, account_id: str) -> int:
        """Delete every resource and the summary of an account; return how many items went."""
        ...


class CrawlRepository(Protocol):
    def begin(self, crawl: Crawl, lock_until: datetime, now: datetime) -> None:
        """Store a new running crawl and take the account's crawl lock; raise `CrawlRunning` if held."""
        ...

    def get(self, tenant_id: str, account_id: str, crawl_id: str) -> Crawl | None: ...

    def save(self, crawl: Crawl) -> None:
        """Store the crawl's own record (not its segments' progress, not the lock)."""
        ...

    def list(self, tenant_id: str, account_id: str, limit: int, cursor: str | None) -> CrawlPage:
        """The account's crawls, newest first."""
        ...

    def running(self, tenant_id: str, account_id: str, now: datetime) -> str | None:
        """The id of the crawl holding the account's lock, if any."""
        ...

    def segment_start(
        self, tenant_id: str, account_id: str, segments: Sequence[str], now: datetime
    ) -> SegmentStart:
        """The account, its tenant and the segments' digests, in one round trip."""
        ...

    def save_segment(
        self, tenant_id: str, account_id: str, crawl_id: str, segment: str, progress: SegmentProgress
    ) -> None:
        """Record how far one segment has come (each segment writes only its own record)."""
        ...

    def save_segments(
        self, tenant_id: str, account_id: str, crawl_id: str, progress: Mapping[str, SegmentProgress]
    ) -> None:
        """Record several segments at once (a crawl's plan: every segment pending), in batches."""
        ...

    def finish(self, crawl: Crawl) -> None:
        """Store the finished crawl and release the account's crawl lock."""
        ...

    def purge(self, tenant_id: str, account_id: str) -> int:
        """Delete every crawl record and the lock of an account; return how many items went."""
        ...
