"""Listing every resource type of one region of one customer account, concurrently and politely.

One call of `list_region` is one (account, region): every type is listed at once, one thread per
type, sharing one client per service. Each (account, region, service) gets a call budget well under
what AWS refills for the customer, so a crawl never eats the quota the customer's own workloads
need. Calls, sequential pages and throttles are counted per type.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from skylight.crawling.budget import Budget, TokenBucket
from skylight.crawling.details import detail_gaps
from skylight.crawling.listings import ListedType, unique_errors, unreachable_listings
from skylight.crawling.metering import CallMeter, current_meter, metered
from skylight.crawling.stopping import ACCOUNT_DISCONNECTED, DISCONNECTED_MESSAGE, CrawlStopped
from skylight.models.inventory import GLOBAL_SEGMENT, ListingError, RecordedListing, Resource, TypeListing
from skylight.providers.aws import pages
from skylight.providers.aws.gateway import (
    CRAWL_ATTEMPTS,
    HOME_REGIONS,
    THROTTLING_CODES,
    AwsGateway,
    TemporaryCredentials,
)
from skylight.providers.aws.permissions import iam_action, iam_prefix
from skylight.providers.aws.resources import (
    Location,
    ResourceModule,
    Scope,
    records,
    resource_modules,
    tags_of,
)

# Half (or less) of what AWS gives the customer per account and region (see the limits notes):
# EC2 Describe* refills 20/s with a burst of 100; RDS 12/s for the whole account-region.
BUDGETS: dict[str, Budget] = {
    "ec2": Budget(rate=10, burst=50),
    "rds": Budget(rate=6, burst=40),
    "autoscaling": Budget(rate=5, burst=20),
    "lambda": Budget(rate=5, burst=25),
    "ecs": Budget(rate=10, burst=25),
    "eks": Budget(rate=5, burst=20),
    "elbv2": Budget(rate=5, burst=20),
    "dynamodb": Budget(rate=5, burst=20),
    "s3": Budget(rate=5, burst=20),
    "resourcegroupstaggingapi": Budget(rate=5, burst=10),
}
DEFAULT_BUDGET = Budget(rate=5, burst=20)

# What a refused or failed call raises: a detail call's is collected as a gap, its item kept as listed.
SDK_FAILURES: tuple[type[Exception], ...] = (ClientError, BotoCoreError)

# Tags of the types whose listings carry none come from the Resource Groups Tagging API.
TAGGING = "resourcegroupstaggingapi"
TAGGING_PAGE = 100  # GetResources' most
TAGGING_SERVICE = iam_prefix(TAGGING)  # how its errors are named: its IAM prefix, as in permission gaps


class _CallAccounting:
    """botocore hooks that charge each call to the listing it is made for, and that send no call
    once the crawl is told to stop (`stop_requested` is asked before every attempt is sent)."""

    def __init__(
        self, buckets: dict[str, TokenBucket], stop_requested: Callable[[], bool] | None = None
    ) -> None:
        self._buckets = buckets
        self._stop_requested = stop_requested

    def hooks(self, service: str) -> list[tuple[str, Callable[..., Any]]]:
        bucket = self._buckets[service]

        def spend() -> None:
            bucket.acquire()
            current_meter().call()

        def before_call(**_: Any) -> None:
            spend()  # the first attempt of every call spends from the budget...

        def needs_retry(
            response: Any = None, caught_exception: Any = None, attempts: int = 0, **_: Any
        ) -> None:
            # ...and so does every retry (see `_retried`).
            if self._retried(response, caught_exception) and attempts < CRAWL_ATTEMPTS:
                spend()

        def after_call(parsed: Any = None, **_: Any) -> None:
            # An answer replayed from kept pages was counted when it came (see `pages`).
            if isinstance(parsed, dict) and "Error" not in parsed and not pages.replaying():
                current_meter().answered()

        def before_send(**_: Any) -> None:
            # Every attempt, retries included; answers replayed from kept pages never get here.
            if self._stop_requested is not None and self._stop_requested():
                raise CrawlStopped

        return [
            ("before-call", before_call),
            ("before-send", before_send),
            ("after-call", after_call),
            ("needs-retry", needs_retry),
        ]

    def _retried(self, response: Any, caught_exception: Any) -> bool:
        """Whether botocore will try the call again: it retries throttles, 5xx answers and network
        errors until the attempts run out (its retry quota may stop it sooner: then one call too many
        is counted, which errs on the polite side); never a call the crawl stopped."""
        if isinstance(caught_exception, CrawlStopped):
            return False
        code = _error_code(response[1]) if response is not None else None
        if code in THROTTLING_CODES:
            current_meter().throttled()
        status = response[0].status_code if response is not None else 0
        return caught_exception is not None or code in THROTTLING_CODES or status >= 500


def _error_code(parsed: Any) -> str | None:
    if isinstance(parsed, dict):
        error = parsed.get("Error")
        if isinstance(error, dict):
            return str(error.get("Code"))
    return None


class TagsUnavailable(Exception):
    """The tagging API refused or failed: the resources it would have tagged are kept without tags."""

    def __init__(self, error: ClientError | BotoCoreError) -> None:
        super().__init__(str(error))
        self.error = error


class _Tags:
    """Tags of one crawl's resources whose listings carry none, by ARN and region.

    One paginated GetResources per region for all those types at once, instead of one call per
    function, table or bucket; asked for by the first listing that needs a region, shared after
    (a refusal or failure too: it is not asked again for each type).
    """

    def __init__(self, client_for: Callable[[str], Any], type_filters: list[str]) -> None:
        self._client_for = client_for
        self._type_filters = type_filters
        self._lock = threading.Lock()
        self._region_locks: dict[str, threading.Lock] = {}
        self._by_region: dict[str, dict[str, dict[str, str]] | ClientError | BotoCoreError] = {}

    def of(self, region: str) -> dict[str, dict[str, str]]:
        """The region's tags by ARN; raises TagsUnavailable when the tagging API refused or failed."""
        with self._lock:
            region_lock = self._region_locks.setdefault(region, threading.Lock())
        with region_lock:
            if region not in self._by_region:
                mappings = records(
                    self._client_for(region),
                    "get_resources",
                    "ResourceTagMappingList",
                    TAGGING_PAGE,
                    ResourceTypeFilters=self._type_filters,
                )
                try:
                    self._by_region[region] = {
                        item["ResourceARN"]: tags_of(item.get("Tags")) for item in mappings
                    }
                except (ClientError, BotoCoreError) as failure:
                    self._by_region[region] = failure
            known = self._by_region[region]
        if isinstance(known, ClientError | BotoCoreError):
            raise TagsUnavailable(known)
        return known

    def covering(self, region: str, type_filter: str) -> bytes:
        """The tags `region` has for the resources of `type_filter`, as bytes that change with them."""
        tags = self.of(region)
        of_type = sorted((arn, sorted(tags[arn].items())) for arn in tags if _of_type(arn, type_filter))
        return json.dumps(of_type).encode()

    def apply(self, resources: list[Resource]) -> tuple[list[Resource], list[TagsUnavailable]]:
        """`resources` with their tags; those of a region whose tags are unavailable keep none, and
        why is returned with them."""
        by_region: dict[str, dict[str, dict[str, str]]] = {}
        unavailable: list[TagsUnavailable] = []
        for region in sorted({resource.region for resource in resources}):
            try:
                by_region[region] = self.of(region)
            except TagsUnavailable as failure:
                unavailable.append(failure)
        tagged = [
            resource.model_copy(update={"tags": by_region[resource.region].get(resource.id, {})})
            if resource.region in by_region
            else resource
            for resource in resources
        ]
        return tagged, unavailable


def _of_type(arn: str, type_filter: str) -> bool:
    """Whether `arn` names a resource of the tagging API's `type_filter` (`service[:resource type]`)."""
    parts = arn.split(":", 5)
    service, _, kind = type_filter.partition(":")
    if len(parts) < 6 or parts[2] != service:
        return False
    return not kind or parts[5].startswith((kind + ":", kind + "/"))


def modules_for(region: str, modules: Iterable[ResourceModule] | None = None) -> list[ResourceModule]:
    """The types listed in `region`: the global ones under the pseudo-region `global`, else the rest."""
    wanted = Scope.GLOBAL if region == GLOBAL_SEGMENT else Scope.REGIONAL
    return [module for module in modules or resource_modules() if module.type.scope is wanted]


class _ClientsOnFirstUse:
    """One client per (region, service), taken by the first listing that needs it (the others wait
    for it); all given back to the gateway once the region is listed."""

    def __init__(self, create: Callable[[str, str], Any]) -> None:
        self._create = create
        self._clients: dict[tuple[str, str], Any] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, region: str, service: str) -> Any:
        key = (region, service)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            client = self._clients.get(key)
            if client is None:
                client = self._create(region, service)
                with self._lock:
                    self._clients[key] = client
            return client

    def created(self) -> list[Any]:
        with self._lock:
            return list(self._clients.values())


class RegionCrawler:
    """Lists one region of one account with the credentials it is given (kept in memory only)."""

    def __init__(
        self,
        gateway: AwsGateway,
        budgets: dict[str, Budget] | None = None,
        clock: Callable[[], datetime] | None = None,
        max_workers: int | None = None,
    ) -> None:
        self._gateway = gateway
        self._max_workers = max_workers
        self._budgets = BUDGETS if budgets is None else budgets
        self._clock = clock or (lambda: datetime.now(UTC))

    def list_region(
        self,
        credentials: TemporaryCredentials,
        account_id: str,
        partition: str,
        region: str,
        modules: Iterable[ResourceModule] | None = None,
        on_listed: Callable[[TypeListing], None] | None = None,
        recorded: Mapping[str, RecordedListing] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> list[TypeListing]:
        """Every type of `region` listed concurrently; a failing type never stops the others, but
        `stop_requested` (asked before every attempt is sent) stops them all.

        `recorded`: what was recorded of each type's listing when its items were last stored. A type
        whose pages still have the recorded fingerprint is reported unchanged without being parsed
        (see `pages`). The types that had the most items start first, as they are the likeliest to be
        the region's longest chain of pages, and each type starts as soon as its own service's client
        exists, not once all of them do."""
        recorded = recorded or {}

        def last_count(module: ResourceModule) -> int:
            known = recorded.get(module.type.name)
            return known.count if known is not None else 0

        selected = sorted(modules_for(region, modules), key=last_count, reverse=True)
        if not selected:
            return []
        api_region = HOME_REGIONS.get(partition, "us-east-1") if region == GLOBAL_SEGMENT else region
        type_filters = sorted({module.type.tags_from for module in selected if module.type.tags_from})
        services = sorted(
            {module.type.service for module in selected} | ({TAGGING} if type_filters else set())
        )
        buckets = {service: TokenBucket(self._budgets.get(service, DEFAULT_BUDGET)) for service in services}
        accounting = _CallAccounting(buckets, stop_requested)
        paged = {module.type.service for module in selected if module.type.skip_unchanged_pages}

        def client_in(client_region: str, service: str) -> Any:
            # The pages' hooks first: an answer replayed from kept pages is not charged again.
            hooks = [*(pages.hooks() if service in paged else []), *accounting.hooks(service)]
            return self._gateway.regional_clients(credentials, client_region, [service], hooks)[service]

        clients = _ClientsOnFirstUse(client_in)

        def tagging_client(tags_region: str) -> Any:
            # A global type's resources live in many regions: their tags are read in each of them.
            return clients.get(tags_region, TAGGING)

        tags = _Tags(tagging_client, type_filters) if type_filters else None
        location = Location(account_id=account_id, region=api_region, partition=partition)

        def list_type(module: ResourceModule) -> TypeListing:
            with metered() as meter:
                listing = self._list_type(
                    module,
                    clients.get(api_region, module.type.service),
                    location,
                    region,
                    meter,
                    tags,
                    _recorded_pages(recorded.get(module.type.name)),
                )
            if on_listed is not None:
                on_listed(listing)
            return listing

        workers = self._max_workers or len(selected)
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"crawl-{region}") as pool:
                return list(pool.map(list_type, selected))
        finally:
            self._gateway.release(clients.created())

    def unreachable(
        self,
        region: str,
        code: str,
        message: str,
        modules: Iterable[ResourceModule] | None = None,
        on_listed: Callable[[TypeListing], None] | None = None,
    ) -> list[TypeListing]:
        """What a region gives when nothing could be listed (no credentials): every type failed."""
        types = [ListedType(module.type.name, module.type.service) for module in modules_for(region, modules)]
        return unreachable_listings(region, types, code, message, self._clock(), on_listed)

    def _list_type(
        self,
        module: ResourceModule,
        client: Any,
        location: Location,
        region: str,
        meter: CallMeter,
        tags: _Tags | None,
        recorded_pages: str | None = None,
    ) -> TypeListing:
        resources: list[Resource] | None = None
        error: ListingError | None = None
        recorder = pages.PageRecorder(recorded_pages) if module.type.skip_unchanged_pages else None
        unchanged = False
        # What the fingerprint covers besides the pages: the tags the listing's resources get.
        tags_from = module.type.tags_from
        covered = (
            partial(tags.covering, location.region, tags_from) if recorder and tags and tags_from else None
        )
        # Refused or failed calls whose items are kept without what they would have added.
        missing: list[tuple[str, Exception]] = []
        try:
            with detail_gaps(SDK_FAILURES) as details:
                raws = _fetched(module, client, recorder, covered)
            missing += [(module.type.service, failure) for failure in details.failures]
            unchanged = recorder is not None and recorder.unchanged
            if not unchanged:  # else nothing was parsed, and the stored items stand
                resources = [module.transform(raw, location) for raw in raws]
            if module.type.tags_from and tags is not None and resources is not None:
                resources, unavailable = tags.apply(resources)
                missing += [(TAGGING, failure.error) for failure in unavailable]
        except CrawlStopped:
            resources, unchanged = None, False
            error = ListingError(
                region=region,
                service=module.type.service,
                type=module.type.name,
                code=ACCOUNT_DISCONNECTED,
                message=DISCONNECTED_MESSAGE,
                at=self._clock(),
            )
        except (ClientError, BotoCoreError, KeyError, TypeError, ValueError) as failure:
            error = self._error(region, module, module.type.service, failure)
        # Pages vouch for what is stored only when it is all there: items stored without some
        # detail are parsed again next time, and rewritten once the detail is back.
        vouched = recorder is not None and error is None and not missing
        gaps = (
            []
            if error
            else unique_errors(self._error(region, module, name, failure) for name, failure in missing)
        )
        return TypeListing(
            type=module.type.name,
            service=module.type.service,
            resources=resources,
            api_calls=meter.api_calls,
            pages=meter.pages,
            throttles=meter.throttles,
            error=error,
            gaps=gaps,
            pages_fingerprint=recorder.fingerprint if recorder is not None and vouched else None,
            unchanged_pages=unchanged,
        )

    def _error(
        self, region: str, module: ResourceModule, client_name: str, failure: Exception
    ) -> ListingError:
        """A failed call of a listing, named after the service whose call it was (the tagging API's
        by its IAM prefix `tag`) and, when known, the IAM action it needed."""
        code, message = _describe(failure)
        action = iam_action(client_name, failure.operation_name) if isinstance(failure, ClientError) else None
        return ListingError(
            region=region,
            service=TAGGING_SERVICE if client_name == TAGGING else client_name,
            type=module.type.name,
            code=code,
            message=message,
            at=self._clock(),
            action=action,
        )


def _recorded_pages(known: RecordedListing | None) -> str | None:
    return known.pages if known is not None else None


def _fetched(
    module: ResourceModule,
    client: Any,
    recorder: pages.PageRecorder | None,
    covered: Callable[[], bytes] | None = None,
) -> list[Any]:
    """The raw records of a listing. With a recorder, its pages (and what `covered` gives) are
    fingerprinted; when there is a recorded fingerprint to compare with, only their page tokens are
    parsed at first, and the whole pages again (from the kept answers, not from AWS) only if the
    fingerprint changed."""
    if recorder is None:
        return list(module.fetch(client))
    with pages.recording(recorder):
        raws = list(module.fetch(client))
    if covered is not None and recorder.holds_items:  # an empty listing has nothing to tag
        try:
            recorder.covers(covered())
        except TagsUnavailable:
            # Parsed in full below (the failure is reported where the tags are applied).
            recorder.cannot_cover()
    if not recorder.skipping or recorder.unchanged:
        return raws
    with pages.replayed(recorder):
        return list(module.fetch(client))


def _describe(error: Exception) -> tuple[str, str]:
    """The provider's code and message; never anything from the request (no credentials)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return str(details.get("Code", "Unknown")), str(details.get("Message", ""))[:500]
    if isinstance(error, BotoCoreError):
        return type(error).__name__, "AWS could not be reached"
    return "UnexpectedResponse", f"{type(error).__name__} while reading the response"
