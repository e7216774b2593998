"""Inventory, crawls and summaries in the single DynamoDB table, with PynamoDB.

Keys:
- resources: `pk = INVENTORY#<tenant>#<account>`, `sk = RES#<type>#<segment>#<resource id>`, so one
  (segment, type) is one key prefix: the crawler reads its hashes and replaces it without a scan.
- listing digests of one segment (AWS: a region, or `global`): `sk = DIGESTS#<segment>`, beside the resources.
- crawls: `pk = TENANT#<tenant>`, `sk = CRAWL#<account>#<crawl id>` (crawl ids sort by start time),
  each segment's progress in `CRAWLREGION#<account>#<crawl id>#<segment>` (named when every segment
  was a region), the lock in `CRAWLING#<account>`.
- the per-account summary: `sk = SUMMARY#<account>`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from skylight.dal.connection import bind_models, shared_connection
from skylight.dal.cursors import CursorSigner, Listing
from skylight.dal.dynamodb import (
    ACCOUNT_PREFIX,
    TENANT_SK,
    AccountItem,
    TenantItem,
    _get,
    _Item,
    _live_account,
    _to_tenant,
    get_many,
    tenant_pk,
)
from skylight.dal.inventory import CrawlPage, CrawlRunning, ResourcePage, SegmentStart
from skylight.models.inventory import Crawl, InventorySummary, Resource, SegmentProgress, WriteStats

RESOURCE_PREFIX = "RES#"
DIGESTS_PREFIX = "DIGESTS#"
CRAWL_PREFIX = "CRAWL#"
CRAWL_SEGMENT_PREFIX = "CRAWLREGION#"
LOCK_PREFIX = "CRAWLING#"
SUMMARY_PREFIX = "SUMMARY#"
# Crawl records are history, kept for this long (DynamoDB TTL).
CRAWL_HISTORY = timedelta(days=30)
# Sort keys may be 1,024 bytes; the rare longer resource id is stored under its digest.
MAX_ID_IN_KEY = 900


def inventory_pk(tenant_id: str, account_id: str) -> str:
    return f"INVENTORY#{tenant_id}#{account_id}"


class ResourceItem(_Item):
    resource_id = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    region = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    attributes = JSONAttribute(null=True)
    tags = JSONAttribute(null=True)
    content_hash = UnicodeAttribute()


class DigestsItem(_Item):
    digests = JSONAttribute()


class CrawlItem(_Item):
    document = JSONAttribute()
    ttl = TTLAttribute(null=True)


class CrawlSegmentItem(_Item):
    document = JSONAttribute()
    ttl = TTLAttribute(null=True)


def _segment_item(
    tenant_id: str, account_id: str, crawl_id: str, segment: str, progress: SegmentProgress
) -> CrawlSegmentItem:
    return CrawlSegmentItem(
        tenant_pk(tenant_id),
        f"{CRAWL_SEGMENT_PREFIX}{account_id}#{crawl_id}#{segment}",
        document=progress.model_dump(mode="json"),
        ttl=(progress.started_at or datetime.now(UTC)) + CRAWL_HISTORY,
    )


class CrawlLockItem(_Item):
    crawl_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    ttl = TTLAttribute(null=True)


class SummaryItem(_Item):
    document = JSONAttribute()


_MODELS: tuple[type[_Item], ...] = (
    ResourceItem,
    DigestsItem,
    CrawlItem,
    CrawlSegmentItem,
    CrawlLockItem,
    SummaryItem,
)


def _segment_prefix(resource_type: str, segment: str) -> str:
    return f"{RESOURCE_PREFIX}{resource_type}#{segment}#"


def _id_in_key(resource_id: str) -> str:
    if len(resource_id.encode()) <= MAX_ID_IN_KEY:
        return resource_id
    return "sha256:" + hashlib.sha256(resource_id.encode()).hexdigest()


def write_units(item: dict[str, Any]) -> int:
    """DynamoDB charges one write unit per started KB of the item (names and values)."""
    size = sum(len(name) + len(json.dumps(value, default=str)) for name, value in item.items())
    return max(1, math.ceil(size / 1024))


class DynamoInventoryRepository:
    def __init__(self, table_name: str, region: str, cursors: CursorSigner) -> None:
        bind_models(_MODELS, table_name, region)
        self._cursors = cursors

    def hashes(self, tenant_id: str, account_id: str, segment: str, resource_type: str) -> dict[str, str]:
        prefix = _segment_prefix(resource_type, segment)
        items = ResourceItem.query(
            inventory_pk(tenant_id, account_id),
            ResourceItem.sk.startswith(prefix),
            attributes_to_get=["resource_id", "content_hash"],
            page_size=1000,
        )
        return {item.resource_id: item.content_hash for item in items}

    def all_digests(self, tenant_id: str, account_id: str) -> dict[str, dict[str, str]]:
        items = DigestsItem.query(
            inventory_pk(tenant_id, account_id), DigestsItem.sk.startswith(DIGESTS_PREFIX)
        )
        return {item.sk.removeprefix(DIGESTS_PREFIX): dict(item.digests) for item in items}

    def forget_digests(self, tenant_id: str, account_id: str, segment: str) -> None:
        DigestsItem(inventory_pk(tenant_id, account_id), DIGESTS_PREFIX + segment).delete()

    def save_digests(self, tenant_id: str, account_id: str, segment: str, digests: dict[str, str]) -> None:
        pk = inventory_pk(tenant_id, account_id)
        DigestsItem(pk, DIGESTS_PREFIX + segment, digests=dict(sorted(digests.items()))).save()

    def write(
        self,
        tenant_id: str,
        account_id: str,
        segment: str,
        resource_type: str,
        puts: list[Resource],
        deletes: list[str],
    ) -> WriteStats:
        pk = inventory_pk(tenant_id, account_id)
        prefix = _segment_prefix(resource_type, segment)
        units = 0
        with ResourceItem.batch_write() as batch:
            for resource in puts:
                item = ResourceItem(
                    pk,
                    prefix + _id_in_key(resource.id),
                    resource_id=resource.id,
                    resource_type=resource.type,
                    region=resource.region,
                    name=resource.name,
                    attributes=resource.attributes,
                    tags=resource.tags,
                    content_hash=resource.content_hash(),
                )
                units += write_units(item.serialize())
                batch.save(item)
            for resource_id in deletes:
                units += 1
                batch.delete(ResourceItem(pk, prefix + _id_in_key(resource_id)))
        return WriteStats(puts=len(puts), deletes=len(deletes), write_units=units)

    def page(
        self,
        tenant_id: str,
        account_id: str,
        resource_type: str | None,
        region: str | None,
        limit: int,
        cursor: str | None,
    ) -> ResourcePage:
        listing = Listing(
            tenant_id, "inventory", {"account": account_id, "type": resource_type, "region": region}
        )
        prefix = RESOURCE_PREFIX + (f"{resource_type}#" if resource_type else "")
        pk = inventory_pk(tenant_id, account_id)
        start_key = None
        if cursor:
            start_key = {"pk": {"S": pk}, "sk": {"S": self._cursors.decode(cursor, listing, prefix)}}
        results = ResourceItem.query(
            pk,
            ResourceItem.sk.startswith(prefix),
            filter_condition=(ResourceItem.region == region) if region else None,
            limit=limit,
            page_size=max(limit, 100),
            last_evaluated_key=start_key,
        )
        items = list(results)
        next_cursor = None
        if len(items) == limit and results.last_evaluated_key:
            next_cursor = self._cursors.encode(listing, items[-1].sk)
        segments = [item.sk.split("#", 3)[2] for item in items]  # RES#<type>#<segment>#<id>
        return ResourcePage([_to_resource(item) for item in items], next_cursor, segments)

    def summary(self, tenant_id: str, account_id: str) -> InventorySummary | None:
        item = _get(SummaryItem, tenant_pk(tenant_id), SUMMARY_PREFIX + account_id)
        return InventorySummary.model_validate(item.document) if item else None

    def save_summary(self, summary: InventorySummary) -> None:
        SummaryItem(
            tenant_pk(summary.tenant_id),
            SUMMARY_PREFIX + summary.account_id,
            document=summary.model_dump(mode="json"),
        ).save()

    def summaries(self, tenant_id: str) -> list[InventorySummary]:
        items = SummaryItem.query(tenant_pk(tenant_id), SummaryItem.sk.startswith(SUMMARY_PREFIX))
        return [InventorySummary.model_validate(item.document) for item in items]

    def purge(self, tenant_id: str, account_id: str) -> int:
        resources = ResourceItem.query(
            inventory_pk(tenant_id, account_id), attributes_to_get=["pk", "sk"], page_size=1000
        )
        summary = [SummaryItem(tenant_pk(tenant_id), SUMMARY_PREFIX + account_id)]
        return _delete_all(ResourceItem, [*resources, *summary])


class DynamoCrawlRepository:
    def __init__(self, table_name: str, region: str, cursors: CursorSigner) -> None:
        bind_models(_MODELS, table_name, region)
        self._region = region
        self._cursors = cursors

    def begin(self, crawl: Crawl, lock_until: datetime, now: datetime) -> None:
        pk = tenant_pk(crawl.tenant_id)
        lock = CrawlLockItem(
            pk, LOCK_PREFIX + crawl.account_id, crawl_id=crawl.id, expires_at=lock_until, ttl=lock_until
        )
        try:
            with TransactWrite(connection=shared_connection(self._region)) as transaction:
                # A lock left by a crawl that died is taken over once it has expired.
                transaction.save(
                    lock, condition=CrawlLockItem.pk.does_not_exist() | (CrawlLockItem.expires_at < now)
                )
                transaction.save(self._crawl_item(crawl))
        except TransactWriteError as error:
            if error.cancellation_reasons and error.cancellation_reasons[0] is not None:
                running = self.running(crawl.tenant_id, crawl.account_id, now)
                if running is not None:
                    raise CrawlRunning(running) from None
            raise

    def segment_start(
        self, tenant_id: str, account_id: str, segments: Sequence[str], now: datetime
    ) -> SegmentStart:
        account_key = (tenant_pk(tenant_id), ACCOUNT_PREFIX + account_id)
        tenant_key = (tenant_pk(tenant_id), TENANT_SK)
        digests_keys = {
            segment: (inventory_pk(tenant_id, account_id), DIGESTS_PREFIX + segment) for segment in segments
        }
        found = get_many([account_key, tenant_key, *digests_keys.values()])
        account, tenant = found.get(account_key), found.get(tenant_key)
        return SegmentStart(
            account=_live_account(tenant_id, AccountItem.from_raw_data(account) if account else None, now),
            tenant=_to_tenant(tenant_id, TenantItem.from_raw_data(tenant)) if tenant is not None else None,
            digests={
                segment: dict(DigestsItem.from_raw_data(found[key]).digests)
                for segment, key in digests_keys.items()
                if key in found
            },
        )

    def get(self, tenant_id: str, account_id: str, crawl_id: str) -> Crawl | None:
        pk = tenant_pk(tenant_id)
        item = _get(CrawlItem, pk, f"{CRAWL_PREFIX}{account_id}#{crawl_id}")
        if item is None:
            return None
        crawl = Crawl.model_validate(item.document)
        segments = CrawlSegmentItem.query(
            pk, CrawlSegmentItem.sk.startswith(f"{CRAWL_SEGMENT_PREFIX}{account_id}#{crawl_id}#")
        )
        for segment_item in segments:
            segment = segment_item.sk.rsplit("#", 1)[1]
            crawl.segments[segment] = SegmentProgress.model_validate(segment_item.document)
        return crawl

    def save(self, crawl: Crawl) -> None:
        self._crawl_item(crawl).save()

    def list(self, tenant_id: str, account_id: str, limit: int, cursor: str | None) -> CrawlPage:
        pk = tenant_pk(tenant_id)
        prefix = f"{CRAWL_PREFIX}{account_id}#"
        listing = Listing(tenant_id, "crawls", {"account": account_id})
        start_key = None
        if cursor:
            start_key = {"pk": {"S": pk}, "sk": {"S": self._cursors.decode(cursor, listing, prefix)}}
        results = CrawlItem.query(
            pk,
            CrawlItem.sk.startswith(prefix),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = list(results)
        next_cursor = None
        if len(items) == limit and results.last_evaluated_key:
            next_cursor = self._cursors.encode(listing, items[-1].sk)
        return CrawlPage([Crawl.model_validate(item.document) for item in items], next_cursor)

    def running(self, tenant_id: str, account_id: str, now: datetime) -> str | None:
        lock = _get(CrawlLockItem, tenant_pk(tenant_id), LOCK_PREFIX + account_id)
        if lock is None or lock.expires_at < now:
            return None
        return str(lock.crawl_id)

    def save_segment(
        self, tenant_id: str, account_id: str, crawl_id: str, segment: str, progress: SegmentProgress
    ) -> None:
        _segment_item(tenant_id, account_id, crawl_id, segment, progress).save()

    def save_segments(
        self, tenant_id: str, account_id: str, crawl_id: str, progress: Mapping[str, SegmentProgress]
    ) -> None:
        with CrawlSegmentItem.batch_write() as batch:
            for segment, each in progress.items():
                batch.save(_segment_item(tenant_id, account_id, crawl_id, segment, each))

    def finish(self, crawl: Crawl) -> None:
        pk = tenant_pk(crawl.tenant_id)
        try:
            with TransactWrite(connection=shared_connection(self._region)) as transaction:
                transaction.save(self._crawl_item(crawl))
                transaction.delete(
                    CrawlLockItem(pk, LOCK_PREFIX + crawl.account_id),
                    condition=CrawlLockItem.pk.does_not_exist() | (CrawlLockItem.crawl_id == crawl.id),
                )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if not any(reason and reason.code == "ConditionalCheckFailed" for reason in reasons):
                raise
            # The lock expired and a newer crawl took it over: record this one, leave the lock alone.
            self._crawl_item(crawl).save()

    def purge(self, tenant_id: str, account_id: str) -> int:
        pk = tenant_pk(tenant_id)
        records = [
            item
            for prefix in (f"{CRAWL_PREFIX}{account_id}#", f"{CRAWL_SEGMENT_PREFIX}{account_id}#")
            for item in CrawlItem.query(pk, CrawlItem.sk.startswith(prefix), attributes_to_get=["pk", "sk"])
        ]
        return _delete_all(CrawlItem, [*records, CrawlLockItem(pk, LOCK_PREFIX + account_id)])

    @staticmethod
    def _crawl_item(crawl: Crawl) -> CrawlItem:
        # Segments live in their own items; the crawl item holds the totals.
        document = crawl.model_dump(mode="json", exclude={"segments"})
        return CrawlItem(
            tenant_pk(crawl.tenant_id),
            f"{CRAWL_PREFIX}{crawl.account_id}#{crawl.id}",
            document=document,
            ttl=crawl.started_at + CRAWL_HISTORY,
        )


def _delete_all(model: type[_Item], items: list[_Item]) -> int:
    """Delete items by key, 25 to a request (deleting what is not there costs nothing and fails nothing)."""
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)
    return len(items)


def _to_resource(item: ResourceItem) -> Resource:
    return Resource(
        id=item.resource_id,
        type=item.resource_type,
        region=item.region,
        name=item.name,
        attributes=item.attributes or {},
        tags=item.tags or {},
    )
