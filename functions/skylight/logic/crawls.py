"""Use cases of inventory crawls: request, begin, plan, crawl a batch of segments, finish.

One crawl per account at a time (a lock item). The state machine runs begin -> validate -> plan ->
one `crawl_segments` per batch of segments (a Map) -> finish; only identifiers and counts cross its
states. Each segment commits what it listed itself, writing only what changed.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from skylight.crawling import stopping
from skylight.dal.inventory import CrawlPage, CrawlRunning
from skylight.logic.accounts import (
    get_account,
    load_active_account,
    require_active,
    schedule_crawls,
    workflow_account,
)
from skylight.logic.audit import recorded
from skylight.logic.limits import take_crawl_request
from skylight.logic.services import Services
from skylight.logic.tenants import context_of, tenant_context, tenant_of
from skylight.models.domain import Account, AccountStatus, Caller
from skylight.models.errors import NotFound, RetryLater
from skylight.models.inventory import (
    Crawl,
    CrawlStatus,
    InventorySummary,
    ListingError,
    ListingSummary,
    RecordedListing,
    Resource,
    SegmentProgress,
    TypeListing,
    TypeOutcome,
    WriteStats,
    listing_digest,
    segment_key,
)
from skylight.models.metrics import (
    CRAWL_DURATION,
    CRAWLS,
    ITEM_WRITES,
    LISTING_ERRORS,
    PROVIDER_CALLS,
    PROVIDER_THROTTLES,
    RESOURCES_LISTED,
    STALE_SEGMENTS,
)

logger = Logger(child=True)

# A crawl that has not finished by then is presumed dead: its lock may be taken over, and it is shown
# as failed. It outlives the state machine's own timeout (infra/constructs/workflow.py, 30 minutes),
# so that no crawl is ever taken over while its execution may still run.
LOCK_DURATION = timedelta(minutes=35)
# Why a (segment, type) has no listing at the end of a crawl, when its segment's task never said
# (the codes date from when every segment was an AWS region, and stay: clients match on them).
SEGMENT_NOT_FINISHED = "RegionNotFinished"
SEGMENT_NOT_PLANNED = "RegionNotEnabled"
SEGMENT_PENDING, SEGMENT_RUNNING = "pending", "running"
# Progress is recorded at most this often per segment (and always at the end): enough for a progress bar.
PROGRESS_EVERY = timedelta(seconds=1)


def new_crawl_id(now: datetime) -> str:
    """Sorts by start time, so the newest crawls list first."""
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def request_crawl(services: Services, caller: Caller, account_id: str) -> tuple[Crawl, bool]:
    """Start a crawl now, or return the one already running; True when a new one started.

    The account's schedule is made sure of too: had it failed to be created at connect, crawls
    would otherwise only ever run on demand.
    """
    account = require_active(get_account(services, caller, account_id))
    take_crawl_request(services, caller, account_id)
    with recorded(services, caller, "crawl.request", account_id) as audit:
        schedule_crawls(services, account)
        crawl, started = _begin(services, account, "manual")
        audit.details = {"crawl_id": crawl.id, "started": started}
        if not started:
            return crawl, False
        try:
            execution = services.workflow.start(account.tenant_id, account.id, "manual", crawl_id=crawl.id)
            # Known at once, so that a disconnect right after this request stops it too.
            services.crawls.save(crawl.model_copy(update={"execution_arn": execution}))
        except Exception:
            logger.exception("could not start the crawl workflow", extra={"account_id": account.id})
            finish_crawl(services, account.tenant_id, account.id, crawl.id, failure="workflow_not_started")
            raise RetryLater("the crawl could not be started; try again shortly") from None
    return crawl, True


def begin_crawl(
    services: Services,
    tenant_id: str,
    account_id: str,
    trigger: str,
    crawl_id: str | None,
    execution_arn: str | None = None,
) -> tuple[Account, Crawl, bool]:
    """The workflow's start: adopt the crawl the API began, or begin one (False if one is running).

    The crawl records which execution runs it, so that a disconnect can stop that execution."""
    account = load_active_account(services, tenant_id, account_id)
    if crawl_id is not None:
        crawl = services.crawls.get(tenant_id, account_id, crawl_id)
        if crawl is None:
            raise NotFound("no such crawl")
        if execution_arn is not None and crawl.execution_arn != execution_arn:
            crawl = crawl.model_copy(update={"execution_arn": execution_arn})
            services.crawls.save(crawl)
        return account, crawl, True
    return account, *_begin(services, account, trigger, execution_arn)


def _begin(
    services: Services, account: Account, trigger: str, execution_arn: str | None = None
) -> tuple[Crawl, bool]:
    now = services.clock()
    crawl = Crawl(
        id=new_crawl_id(now),
        tenant_id=account.tenant_id,
        account_id=account.id,
        trigger=trigger,
        started_at=now,
        execution_arn=execution_arn,
    )
    try:
        services.crawls.begin(crawl, lock_until=now + LOCK_DURATION, now=now)
    except CrawlRunning as running:
        current = services.crawls.get(account.tenant_id, account.id, running.crawl_id)
        if current is None:  # finished between the two reads: the caller may simply ask again
            raise RetryLater("a crawl was just finishing; try again") from None
        return current, False
    return crawl, True


def plan_crawl(services: Services, tenant_id: str, account_id: str, crawl_id: str) -> list[list[str]]:
    """The segments the provider plans (AWS: the enabled regions, plus `global`), recorded as
    pending in one batch, in batches for the Map (see `segment_batches`), largest first.

    Largest by how many items their listings held last time: the state machine's Map starts its
    items in this order, at most `SEGMENT_CONCURRENCY` at once, so the longest segments never wait for
    a slot behind short ones (and, all at once, get the first turn at the customer's endpoints).
    """
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="plan") as own_table:
        # Independent reads of Skylight's own table: one round trip on the crawl's path, not three
        # (what was recorded is read while the provider asks the cloud for its segments).
        account_read = own_table.submit(load_active_account, services, tenant_id, account_id)
        tenant_read = own_table.submit(tenant_of, services, tenant_id)
        recorded = own_table.submit(services.inventory.all_digests, tenant_id, account_id)
        account = account_read.result()
        tenant = context_of(services, tenant_read.result(), account.provider)
        provider = services.provider(account.provider)
        segments = largest_first(provider.crawl_plan(account, tenant), recorded.result())
    services.crawls.save_segments(
        tenant_id,
        account_id,
        crawl_id,
        {segment: SegmentProgress(types_total=len(provider.resource_types(segment))) for segment in segments},
    )
    return segment_batches(segments, recorded.result())


def largest_first(segments: list[str], recorded: dict[str, dict[str, str]]) -> list[str]:
    """`segments` by how many items their listings held when last stored, most first; segments with
    nothing recorded keep their order, after the others."""
    return sorted(segments, key=lambda segment: _recorded_items(recorded, segment), reverse=True)  # stable


# A segment whose listings held at most this many items last time takes a few calls, at most a couple
# of pages per type: several of them share one invocation (one Lambda, one AssumeRole, one read of
# Skylight's table for all), at most this many together.
SMALL_SEGMENT_ITEMS = 100
SMALL_SEGMENTS_PER_BATCH = 8


def segment_batches(segments: list[str], recorded: dict[str, dict[str, str]]) -> list[list[str]]:
    """The Map's items, in the order of `segments`: each segment alone, but small ones (as recorded,
    see `SMALL_SEGMENT_ITEMS`) packed together in as few even batches as `SMALL_SEGMENTS_PER_BATCH`
    allows, after the others. A segment with nothing recorded (a first crawl, or its last one failed
    before storing) may be large: it stays alone."""
    small = [
        segment
        for segment in segments
        if segment in recorded and _recorded_items(recorded, segment) <= SMALL_SEGMENT_ITEMS
    ]
    alone = [[segment] for segment in segments if segment not in small]
    count = -(-len(small) // SMALL_SEGMENTS_PER_BATCH)
    return alone + [small[index::count] for index in range(count)]


def _recorded_items(recorded: dict[str, dict[str, str]], segment: str) -> int:
    return sum(RecordedListing.decode(text).count for text in recorded.get(segment, {}).values())


def crawl_segments(
    services: Services, tenant_id: str, account_id: str, crawl_id: str, segments: list[str]
) -> dict[str, SegmentProgress]:
    """List a batch of segments at once, each committing what changed as it goes; checked first so
    a disconnected account is never called.

    What they need from Skylight's own table (account, tenant, each segment's digests) comes in one
    read, and the records that they started are written while they list: on a crawl's longest path,
    each would otherwise be one more round trip before the first call to the customer's account.
    """
    start = services.crawls.segment_start(tenant_id, account_id, segments, services.clock())
    account = workflow_account(start.account)  # raises for a disconnected account, before any call to it
    tenant = (
        context_of(services, start.tenant, account.provider)
        if start.tenant is not None
        else tenant_context(services, tenant_id, account.provider)
    )
    provider = services.provider(account.provider)
    progress = {
        segment: SegmentProgress(
            status=SEGMENT_RUNNING,
            types_total=len(provider.resource_types(segment)),
            started_at=services.clock(),
        )
        for segment in segments
    }
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="own-table") as own_table:
        started = own_table.submit(
            services.crawls.save_segments,
            tenant_id,
            account_id,
            crawl_id,
            {segment: each.model_copy(deep=True) for segment, each in progress.items()},
        )
        runs = {
            segment: _SegmentRun(
                services,
                account,
                crawl_id,
                segment,
                progress[segment],
                start.digests.get(segment, {}),
                started,
            )
            for segment in segments
        }
        provider.crawl_segments(
            account,
            tenant,
            {segment: run.commit.recorded() for segment, run in runs.items()},
            on_listed=lambda segment, listing: runs[segment].listed(listing),
            on_segment_done=lambda segment, _: runs[segment].finish(),
            stop_requested=StillConnected(
                lambda: services.accounts.is_active(tenant_id, account_id, services.clock())
            ).gone,
        )
    done = {segment: run.progress for segment, run in runs.items()}
    _publish_batch(services, account.provider, list(done.values()))
    return done


def _publish_batch(services: Services, provider: str, done: list[SegmentProgress]) -> None:
    """What a batch listed and spent: resources, writes, and calls, throttles and errors by service."""
    by_service: dict[str, list[int]] = {}
    for outcome in (outcome for progress in done for outcome in progress.outcomes.values()):
        spent = by_service.setdefault(outcome.service or "none", [0, 0, 0])
        spent[0] += outcome.api_calls
        spent[1] += outcome.throttles
        spent[2] += 1 if outcome.error is not None else 0
    record = services.metrics.record
    record(RESOURCES_LISTED, sum(progress.resources for progress in done), provider=provider)
    record(
        ITEM_WRITES,
        sum(progress.writes.puts + progress.writes.deletes for progress in done),
        provider=provider,
    )
    for service, (calls, throttles, errors) in sorted(by_service.items()):
        record(PROVIDER_CALLS, calls, provider=provider, service=service)
        record(PROVIDER_THROTTLES, throttles, provider=provider, service=service)
        record(LISTING_ERRORS, errors, provider=provider, service=service)


class StillConnected:
    """Whether an account is still connected, asked before every call a crawl makes to the cloud.

    Stop means stop: once a disconnect has been answered, no new call may reach the customer's cloud.
    So each question is answered from a consistent read that STARTED after the question was asked
    (a read already under way when it was asked may predate the disconnect); questions asked while a
    read is under way share the next read, so a segment's dozen listing threads cost a read per
    round of calls, not one each. Once the account is seen gone, it stays gone without reading.
    """

    def __init__(self, read: Callable[[], bool], clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self._clock = clock
        self._changed = threading.Condition()
        self._reading = False
        self._answered_from = float("-inf")  # when the last finished read started
        self._connected = True

    def gone(self) -> bool:
        """True once the account is disconnected (or gone): the call must not be made."""
        asked = self._clock()
        with self._changed:
            while self._connected and self._answered_from < asked:
                if not self._reading:
                    self._reading = True
                    break
                self._changed.wait()
            else:
                return not self._connected
        started = self._clock()
        try:
            connected = self._read()
        except Exception:
            # Nothing proves the account is still connected: this call is not made, and the next
            # question reads again.
            logger.exception("could not read whether the account is still connected")
            with self._changed:
                self._reading = False
                self._changed.notify_all()
            return True
        with self._changed:
            self._reading = False
            self._answered_from = started
            self._connected = self._connected and connected
            self._changed.notify_all()
        return not connected


class _SegmentRun:
    """One segment of a batch being crawled: its progress, recorded as it goes, and its commit."""

    def __init__(
        self,
        services: Services,
        account: Account,
        crawl_id: str,
        segment: str,
        progress: SegmentProgress,
        digests: dict[str, str],
        started: Future[None],
    ) -> None:
        self._services = services
        self._account = account
        self._crawl_id = crawl_id
        self._segment = segment
        self.progress = progress
        self.commit = _SegmentCommit(services, account, segment, digests)
        self._started = started  # the write of the record that the segment started
        self._lock = threading.Lock()
        self._last_saved = self.progress.started_at or services.clock()

    def listed(self, listing: TypeListing) -> None:
        """Called from the listing threads as each type finishes: commit it while the others still list."""
        outcome = self.commit.listing(listing)
        progress = self.progress
        with self._lock:
            progress.outcomes[listing.type] = outcome
            progress.types_done += 1
            progress.resources += outcome.count
            progress.api_calls += outcome.api_calls
            progress.throttles += outcome.throttles
            progress.errors += outcome.error is not None
            progress.gaps += bool(outcome.gaps)
            now = self._services.clock()
            snapshot = None
            if now - self._last_saved >= PROGRESS_EVERY and self._started.done():
                self._last_saved = now
                snapshot = progress.model_copy(deep=True)
        # Written outside the lock, so other types finishing meanwhile never wait on storage; the
        # final save is the one that counts. Never before the record that the segment started.
        if snapshot is not None:
            self._save(snapshot)

    def finish(self) -> None:
        """Once every type of the segment is listed: its digests, then its final record."""
        self.commit.save_digests()
        progress = self.progress
        progress.status = _segment_status(progress)
        progress.finished_at = self._services.clock()
        progress.writes = self.commit.writes
        self._started.result()
        self._save(progress)
        logger.info(
            "segment crawled",
            extra={"segment": self._segment, "resources": progress.resources, "status": progress.status},
        )

    def _save(self, progress: SegmentProgress) -> None:
        tenant_id, account_id = self._account.tenant_id, self._account.id
        self._services.crawls.save_segment(tenant_id, account_id, self._crawl_id, self._segment, progress)


class _SegmentCommit:
    """Stores one segment's listings, writing only what changed.

    A listing whose digest is the one recorded when its items were last stored is unchanged: nothing
    is read or written for it. So is a listing whose pages the provider found unchanged (it then
    parses nothing, see `RecordedListing.pages`). Any other listing is compared item by item with
    what is stored. Before the segment's first write, its recorded digests are forgotten, and they
    are saved again once every listing is stored: a crawl that dies in between leaves no digest
    vouching for half-written items.
    """

    def __init__(self, services: Services, account: Account, segment: str, stored: dict[str, str]) -> None:
        self._services = services
        self._account = account
        self._segment = segment
        self._known = {kind: RecordedListing.decode(text) for kind, text in stored.items()}
        self._recorded = dict(self._known)
        self._forgotten = False
        self._lock = threading.Lock()
        self.writes = WriteStats()

    def recorded(self) -> dict[str, RecordedListing]:
        """What was recorded of each type's listing when its items were last stored."""
        return dict(self._known)

    def listing(self, listing: TypeListing) -> TypeOutcome:
        """Commit one (segment, type) listing; a failed listing keeps its previous items (and digest)."""
        outcome = TypeOutcome(
            service=listing.service,
            api_calls=listing.api_calls,
            pages=listing.pages,
            throttles=listing.throttles,
            error=listing.error,
            gaps=listing.gaps,
        )
        known = self._known.get(listing.type)
        if listing.unchanged_pages:
            if known is None or known.pages != listing.pages_fingerprint:
                # Never expected: nothing was parsed, yet nothing recorded says what the pages hold.
                outcome.error = _listing_error(
                    self._segment,
                    listing.type,
                    "PagesNotRecorded",
                    "unchanged pages with no record",
                    self._services.clock(),
                )
                return outcome
            # Nothing was parsed: the stored items are what these pages hold (a regional type's).
            with self._lock:
                self.writes += WriteStats(unchanged=known.count)
            outcome.count = known.count
            outcome.by_region[self._segment] = known.count
            return outcome
        if listing.resources is None:
            return outcome
        listed = {resource.id: resource for resource in listing.resources}
        hashes = {key: resource.content_hash() for key, resource in listed.items()}
        recorded = RecordedListing(digest=listing_digest(hashes), pages=listing.pages_fingerprint)
        written = WriteStats(unchanged=len(listed))
        if known is None or known.digest != recorded.digest:
            written = self._write_changes(listing.type, listed, hashes)
        with self._lock:
            self._recorded[listing.type] = recorded
            self.writes += written
        outcome.count = len(listed)
        for resource in listed.values():
            outcome.by_region[resource.region] = outcome.by_region.get(resource.region, 0) + 1
        return outcome

    def _write_changes(
        self, resource_type: str, listed: dict[str, Resource], hashes: dict[str, str]
    ) -> WriteStats:
        tenant_id, account_id = self._account.tenant_id, self._account.id
        stored = self._services.inventory.hashes(tenant_id, account_id, self._segment, resource_type)
        puts = [resource for key, resource in listed.items() if stored.get(key) != hashes[key]]
        deletes = [key for key in stored if key not in listed]
        written = WriteStats(unchanged=len(listed) - len(puts))
        if puts or deletes:
            self._forget_digests()
            written += self._services.inventory.write(
                tenant_id, account_id, self._segment, resource_type, puts, deletes
            )
        return written

    def _forget_digests(self) -> None:
        with self._lock:
            if not self._forgotten and self._known:
                self._services.inventory.forget_digests(
                    self._account.tenant_id, self._account.id, self._segment
                )
            self._forgotten = True

    def save_digests(self) -> None:
        """Once every listing of the segment is stored (or failed, keeping its items and digest)."""
        if self._forgotten or self._recorded != self._known:
            encoded = {kind: recorded.encode() for kind, recorded in self._recorded.items()}
            self._services.inventory.save_digests(
                self._account.tenant_id, self._account.id, self._segment, encoded
            )


def _segment_status(progress: SegmentProgress) -> str:
    if progress.errors == 0 and progress.gaps == 0:
        return CrawlStatus.SUCCEEDED.value
    if progress.errors >= len(progress.outcomes):
        return CrawlStatus.FAILED.value
    return CrawlStatus.PARTIAL.value


ACCOUNT_DISCONNECTED = "account_disconnected"


def stop_running_crawl(services: Services, tenant_id: str, account_id: str) -> None:
    """At disconnect: the account's running crawl stops now. Its execution is stopped, so that no state
    starts after this one (no further batch of segments, no Finish), and the crawl is recorded as
    finished here; a segment still listing sees the account gone before its next call and stops there
    (see `StillConnected`)."""
    crawl_id = services.crawls.running(tenant_id, account_id, services.clock())
    crawl = services.crawls.get(tenant_id, account_id, crawl_id) if crawl_id else None
    if crawl is None:
        return
    if crawl.execution_arn:
        try:
            services.workflow.stop(crawl.execution_arn, "the account was disconnected")
        except Exception:  # the segments still stop by themselves, before their next call
            logger.exception("could not stop the crawl's execution", extra={"crawl_id": crawl.id})
    finish_crawl(services, tenant_id, account_id, crawl.id, failure=ACCOUNT_DISCONNECTED)


def finish_crawl(
    services: Services,
    tenant_id: str,
    account_id: str,
    crawl_id: str,
    failure: str | None = None,
    provider: str | None = None,
) -> Crawl:
    """Total the segments, update the account's summary (stale markers included), release the lock.

    `provider`: the account's, as Begin found it (else told by the types the crawl listed)."""
    crawl = services.crawls.get(tenant_id, account_id, crawl_id)
    if crawl is None:
        raise NotFound("no such crawl")
    now = services.clock()
    _close_unfinished_segments(services, crawl, now)
    summary = services.inventory.summary(tenant_id, account_id) or InventorySummary(
        tenant_id=tenant_id, account_id=account_id
    )
    _total(crawl, summary, now)
    _mark_segments_no_longer_planned(crawl, summary, now)
    crawl.failure = failure
    crawl.finished_at = now
    crawl.status = _crawl_status(crawl)
    summary.last_crawl_id = crawl.id
    summary.last_crawl_status = crawl.status
    summary.last_crawl_at = crawl.started_at
    if crawl.status is CrawlStatus.SUCCEEDED:
        summary.last_successful_crawl_at = now
    services.inventory.save_summary(summary)
    services.crawls.finish(crawl)
    logger.info("crawl finished", extra={"crawl_id": crawl.id, "status": crawl.status.value})
    _publish_finished(services, crawl, summary, provider or _provider_of(crawl))
    return crawl


def _publish_finished(services: Services, crawl: Crawl, summary: InventorySummary, provider: str) -> None:
    record = services.metrics.record
    record(CRAWLS, 1, provider=provider, status=crawl.status.value)
    if crawl.finished_at is not None:
        duration = (crawl.finished_at - crawl.started_at).total_seconds() * 1000
        record(CRAWL_DURATION, duration, provider=provider)
    record(
        STALE_SEGMENTS, sum(1 for listing in summary.segments.values() if listing.stale), provider=provider
    )


def _provider_of(crawl: Crawl) -> str:
    """The provider of the types a crawl listed (type names are `<provider>.<service>.<resource>`)."""
    types = (name for progress in crawl.segments.values() for name in progress.outcomes)
    return next((name.split(".", 1)[0] for name in types), "unknown")


def _close_unfinished_segments(services: Services, crawl: Crawl, now: datetime) -> None:
    """A segment whose task died (timed out, failed, or found the account gone) is recorded as failed:
    each type it did not report fails with why, so its stored items are kept and marked stale."""
    unfinished = {
        segment: progress
        for segment, progress in crawl.segments.items()
        if progress.status in (SEGMENT_PENDING, SEGMENT_RUNNING)
    }
    if not unfinished:
        return  # the usual case: no read of the account
    account = services.accounts.get(crawl.tenant_id, crawl.account_id, now)
    gone = account is None or account.status is AccountStatus.DISCONNECTED
    code = stopping.ACCOUNT_DISCONNECTED if gone else SEGMENT_NOT_FINISHED
    message = "the account was disconnected" if gone else "the segment's crawl stopped before it finished"
    for segment, progress in unfinished.items():
        types = services.provider(account.provider).resource_types(segment) if account else []
        for resource_type in types:
            if resource_type not in progress.outcomes:
                error = _listing_error(segment, resource_type, code, message, now)
                progress.outcomes[resource_type] = TypeOutcome(service=error.service, error=error)
                progress.errors += 1
        progress.status = CrawlStatus.FAILED.value
        progress.finished_at = now
        services.crawls.save_segment(crawl.tenant_id, crawl.account_id, crawl.id, segment, progress)


def _mark_segments_no_longer_planned(crawl: Crawl, summary: InventorySummary, now: datetime) -> None:
    """What was stored for a segment this crawl's plan left out (AWS: a region no longer enabled) is
    kept, stale."""
    if not crawl.segments:
        return  # no plan: nothing is known about the segments
    for key, listing in list(summary.segments.items()):
        segment, resource_type = key.split("|", 1)
        if segment not in crawl.segments and not listing.stale:
            message = "no longer in the account's crawl plan (for AWS: the region is no longer enabled)"
            error = _listing_error(segment, resource_type, SEGMENT_NOT_PLANNED, message, now)
            summary.segments[key] = listing.model_copy(update={"stale": True, "error": error})


def _listing_error(segment: str, resource_type: str, code: str, message: str, at: datetime) -> ListingError:
    # Type names are <provider>.<service>.<resource>.
    service = resource_type.split(".")[1] if resource_type.count(".") >= 2 else ""
    return ListingError(
        region=segment, service=service, type=resource_type, code=code, message=message, at=at
    )


def _total(crawl: Crawl, summary: InventorySummary, now: datetime) -> None:
    counts: dict[str, int] = {}
    for segment, progress in crawl.segments.items():
        crawl.api_calls += progress.api_calls
        crawl.throttles += progress.throttles
        crawl.writes += progress.writes
        for resource_type, outcome in progress.outcomes.items():
            key = segment_key(segment, resource_type)
            previous = summary.segments.get(key, ListingSummary())
            if outcome.error is None:
                summary.segments[key] = ListingSummary(
                    count=outcome.count,
                    by_region=outcome.by_region,
                    last_success_at=now,
                    gaps=outcome.gaps,
                    throttles=outcome.throttles,
                )
                counts[resource_type] = counts.get(resource_type, 0) + outcome.count
                # Listed and stored, but without what the refused or failed calls would have added.
                crawl.errors.extend(outcome.gaps)
            else:
                # Previous items are kept: say how old they are instead of wiping them.
                summary.segments[key] = previous.model_copy(
                    update={"stale": True, "error": outcome.error, "throttles": outcome.throttles}
                )
                crawl.errors.append(outcome.error)
    crawl.counts_by_type = dict(sorted(counts.items()))
    crawl.resources = sum(counts.values())


def _crawl_status(crawl: Crawl) -> CrawlStatus:
    listed = [outcome for progress in crawl.segments.values() for outcome in progress.outcomes.values()]
    incomplete = any(
        progress.status in (SEGMENT_PENDING, SEGMENT_RUNNING) for progress in crawl.segments.values()
    )
    if crawl.failure is not None and not listed:
        return CrawlStatus.FAILED
    if listed and all(outcome.error is not None for outcome in listed):
        return CrawlStatus.FAILED
    if crawl.failure is not None or crawl.errors or incomplete:
        return CrawlStatus.PARTIAL
    return CrawlStatus.SUCCEEDED


def list_crawls(
    services: Services, caller: Caller, account_id: str, limit: int, cursor: str | None
) -> CrawlPage:
    get_account(services, caller, account_id)
    page = services.crawls.list(caller.tenant_id, account_id, limit, cursor)
    now = services.clock()
    return CrawlPage([as_seen(crawl, now) for crawl in page.items], page.next_cursor)


def get_crawl(services: Services, caller: Caller, account_id: str, crawl_id: str) -> Crawl:
    get_account(services, caller, account_id)
    crawl = services.crawls.get(caller.tenant_id, account_id, crawl_id)
    if crawl is None:
        raise NotFound("no such crawl")
    return as_seen(crawl, services.clock())


def as_seen(crawl: Crawl, now: datetime) -> Crawl:
    """A crawl still marked running after its lock ran out never finished (its execution died or
    timed out before Finish): it is shown as failed."""
    if crawl.status is CrawlStatus.RUNNING and now - crawl.started_at > LOCK_DURATION:
        return crawl.model_copy(update={"status": CrawlStatus.FAILED, "failure": "did_not_finish"})
    return crawl
