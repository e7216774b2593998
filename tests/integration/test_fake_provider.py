"""A provider that is not AWS drives the provider-neutral logic end to end: connect, crawl by its own
segments, disconnect. Nothing of the core may assume AWS (roles, External IDs, regions)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from local.emulator.outbound_federation import issuer_of
from skylight.config import get_settings
from skylight.handlers import dependencies
from skylight.logic.accounts import connect_account, disconnect_account, revalidate_account
from skylight.logic.crawls import begin_crawl, crawl_segments, finish_crawl, plan_crawl
from skylight.logic.federation import federation_audience
from skylight.logic.onboarding import onboarding_kit
from skylight.logic.tenants import tenant_of
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
from tests.integration.conftest import PLATFORM
from tests.support import PLATFORM_PRINCIPAL_ARN

CALLER = Caller(tenant_id="tenant-a", subject="admin@tenant-a", roles=frozenset({"admin"}))
#: The fake cloud's segments and what each holds: two zones and its global types.
ESTATE = {
    "zone-1": {"fake.vm": ["vm-1", "vm-2"]},
    "zone-2": {"fake.vm": ["vm-3"]},
    "global": {"fake.bucket": ["bucket-1"]},
}


class FakeProvider(CloudProvider):
    """A cloud with project tokens, zones instead of regions, and nothing AWS about it; keyless."""

    keyless_federation = True

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
            result="connected",
            steps=[step],
            provider_account_id=credentials.public["project"],
            provider_state={"project_number": "4242"},
        )

    def new_tenant_state(self) -> dict[str, Any]:
        return {"folder": "made-on-first-use"}

    def onboarding_kit(self, tenant: TenantContext, accounts: Callable[[], list[Account]]) -> dict[str, Any]:
        assert tenant.federation is not None
        return {
            "provider": self.name,
            "folder": tenant.state["folder"],
            "accounts": len(accounts()),
            "issuer": tenant.federation.issuer,
            "audience": tenant.federation.audience,
            "subject": tenant.federation.subject,
        }

    def crawl_plan(self, account: Account, tenant: TenantContext) -> list[str]:
        return list(ESTATE)

    def resource_types(self, region: str) -> list[str]:
        return list(ESTATE[region])

    def crawl_segments(
        self,
        account: Account,
        tenant: TenantContext,
        segments: Mapping[str, Mapping[str, RecordedListing]],
        on_listed: Callable[[str, TypeListing], None] | None = None,
        on_segment_done: Callable[[str, list[TypeListing]], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> dict[str, list[TypeListing]]:
        done: dict[str, list[TypeListing]] = {}
        for segment in segments:
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
            if on_segment_done is not None:
                on_segment_done(segment, listings)
            done[segment] = listings
        return done


@pytest.fixture
def fake(api: Any, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    # As deployed: the issuer the deployment read from IAM reaches the API through its environment.
    monkeypatch.setenv("OUTBOUND_ISSUER", issuer_of(PLATFORM))
    get_settings.cache_clear()
    dependencies.services.cache_clear()
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

    assert account.provider_state == {"project_number": "4242"}  # what the provider records, opaque here
    _, report = revalidate_account(services, "tenant-a", account.id)
    assert report.connected
    _, crawl, began = begin_crawl(services, "tenant-a", account.id, "on_demand", None)
    assert began
    batches = plan_crawl(services, "tenant-a", account.id, crawl.id)
    assert sorted(segment for batch in batches for segment in batch) == sorted(ESTATE)
    for batch in batches:
        crawl_segments(services, "tenant-a", account.id, crawl.id, batch)
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


def test_a_provider_owns_its_tenant_state_made_on_first_use_beside_aws_own(
    api: Any, fake: FakeProvider
) -> None:
    services = dependencies.services()
    aws_kit = onboarding_kit(services, CALLER, "aws")

    kit = onboarding_kit(services, CALLER, "fake")

    tenant = tenant_of(services, "tenant-a")
    assert kit == {
        "provider": "fake",
        "folder": "made-on-first-use",
        "accounts": 0,
        # A keyless provider's kit tells the tenant what to trust: the issuer, its own audience, the
        # platform principal as the subject.
        "issuer": issuer_of(PLATFORM),
        "audience": federation_audience(services, "tenant-a"),
        "subject": PLATFORM_PRINCIPAL_ARN,
    }
    assert tenant.federation_audience == kit["audience"]
    assert tenant.state_of("fake") == {"folder": "made-on-first-use"}
    # AWS's state is untouched by another provider's, and the other way round.
    assert onboarding_kit(services, CALLER, "aws")["external_id"] == aws_kit["external_id"]
    assert set(tenant.provider_state) == {"aws", "fake"}
