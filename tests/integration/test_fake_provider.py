"""A provider that is not AWS drives the provider-neutral logic end to end: connect, crawl by its own
segments, disconnect. Nothing of the core may assume AWS (roles, External IDs, regions)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from skylight.handlers import dependencies
from skylight.logic.accounts import connect_account, disconnect_account, revalidate_account
from skylight.logic.crawls import begin_crawl, crawl_regions, finish_crawl, plan_crawl
from skylight.models.domain import (
    Access,
    Account,
    AccountStatus,
    Caller,
    StepOutcome,
    ValidationReport,
    ValidationStep,
)
from skylight.models.errors import AccountDisconnected, InvalidRequest
from skylight.models.inventory import CrawlStatus, RecordedListing, Resource, TypeListing
from skylight.providers.base import CloudProvider, ParsedCredentials, TenantContext

CALLER = Caller(tenant_id="tenant-a", subject="admin@tenant-a", roles=frozenset({"admin"}))
#: The fake cloud's segments and what each holds: two zones and its global types.
ESTATE = {
    "zone-1": {"fake.vm": ["vm-1", "vm-2"]},
    "zone-2": {"fake.vm": ["vm-3"]},
    "global": {"fake.bucket": ["bucket-1"]},
}


class FakeProvider(CloudProvider):
    """A cloud with project tokens, zones instead of regions, and nothing AWS about it."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def _called(self, what: str) -> None:
        with self._lock:
            self.calls.append(what)

    def parse_credentials(self, credentials: dict[str, Any]) -> ParsedCredentials:
        if credentials.get("type") != "token" or not str(credentials.get("project", "")).startswith("p-"):
            raise InvalidRequest("a project token is needed", field="credentials")
        project = str(credentials["project"])
        return ParsedCredentials(public={"type": "token", "project": project}, key=f"fake:{project}")

    def validate(
        self, credentials: ParsedCredentials, access: Access, tenant: TenantContext
    ) -> ValidationReport:
        self._called("validate")
        step = ValidationStep(
            name="token_accepted", outcome=StepOutcome.PASSED, message="the project answered"
        )
        return ValidationReport(
            result="connected", steps=[step], provider_account_id=credentials.public["project"]
        )

    def onboarding_kit(self, tenant: TenantContext) -> dict[str, Any]:
        return {"provider": self.name}

    def crawl_plan(self, account: Account, tenant: TenantContext) -> list[str]:
        return list(ESTATE)

    def resource_types(self, region: str) -> list[str]:
        return list(ESTATE[region])

    def crawl_regions(
        self,
        account: Account,
        tenant: TenantContext,
        regions: Mapping[str, Mapping[str, RecordedListing]],
        on_listed: Callable[[str, TypeListing], None] | None = None,
        on_region_done: Callable[[str, list[TypeListing]], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> dict[str, list[TypeListing]]:
        done: dict[str, list[TypeListing]] = {}
        for segment in regions:
            listings = []
            for resource_type, names in ESTATE[segment].items():
                assert stop_requested is None or not stop_requested(), "called after a disconnect"
                self._called(f"list {segment} {resource_type}")
                resources = [
                    Resource(
                        id=f"fake://{account.credentials['project']}/{name}",
                        type=resource_type,
                        region=segment,
                        name=name,
                    )
                    for name in names
                ]
                listing = TypeListing(
                    type=resource_type, service="fake", resources=resources, api_calls=1, pages=1
                )
                listings.append(listing)
                if on_listed is not None:
                    on_listed(segment, listing)
            if on_region_done is not None:
                on_region_done(segment, listings)
            done[segment] = listings
        return done


@pytest.fixture
def fake(api: Any) -> FakeProvider:
    provider = FakeProvider()
    services = dependencies.services()
    aws = services.provider
    services.provider = lambda name: provider if name == "fake" else aws(name)
    return provider


def test_connect_crawl_and_disconnect_through_a_provider_that_is_not_aws(fake: FakeProvider) -> None:
    services = dependencies.services()

    account = connect_account(
        services, CALLER, "fake", "Project one", Access.READ_ONLY, {"type": "token", "project": "p-1"}
    )
    assert (account.provider, account.status, account.provider_account_id) == (
        "fake",
        AccountStatus.CONNECTED,
        "p-1",
    )

    _, report = revalidate_account(services, "tenant-a", account.id)
    assert report.connected
    _, crawl, began = begin_crawl(services, "tenant-a", account.id, "on_demand", None)
    assert began
    batches = plan_crawl(services, "tenant-a", account.id, crawl.id)
    assert sorted(segment for batch in batches for segment in batch) == sorted(ESTATE)
    for batch in batches:
        crawl_regions(services, "tenant-a", account.id, crawl.id, batch)
    finished = finish_crawl(services, "tenant-a", account.id, crawl.id)

    assert finished.status is CrawlStatus.SUCCEEDED
    summary = services.inventory.summary("tenant-a", account.id)
    assert summary is not None
    assert summary.total == 4
    assert summary.by_type == {"fake.vm": 3, "fake.bucket": 1}

    disconnect_account(services, CALLER, account.id)
    calls_before = len(fake.calls)
    with pytest.raises(AccountDisconnected):
        begin_crawl(services, "tenant-a", account.id, "scheduled", None)
    assert len(fake.calls) == calls_before  # nothing reached the fake cloud after the disconnect
