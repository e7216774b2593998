"""The crawl machinery every provider shares: no cloud SDK in it, and its contract, discovery and
metering work for a provider that is not AWS."""

from __future__ import annotations

import contextvars
import importlib
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from skylight.crawling import modules
from skylight.crawling.listings import ListedType, unique_errors, unreachable_listings
from skylight.crawling.metering import current_meter, metered
from skylight.crawling.modules import ContractError, code_version, discover, load_module
from skylight.models.inventory import ListingError, Resource
from tests.support import modules_loaded_by

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
AT = datetime(2026, 1, 2, tzinfo=UTC)


def test_the_shared_package_imports_no_cloud_sdk() -> None:
    loaded = modules_loaded_by(
        "import importlib, pkgutil, skylight.crawling as package\n"
        "for info in pkgutil.iter_modules(package.__path__):\n"
        "    importlib.import_module(f'skylight.crawling.{info.name}')"
    )
    top_level = {name.split(".")[0] for name in loaded}
    assert "skylight.crawling.modules" in loaded and "skylight.crawling.details" in loaded
    assert not top_level & {"boto3", "botocore", "google", "azure", "msal", "aws_lambda_powertools"}


@dataclass(frozen=True)
class FakeType:
    name: str


FAKE_MODULE = """
from skylight.models.inventory import Resource
from tests.unit.test_crawling_package import FakeType

RESOURCE = FakeType(name="fake.{service}.{kind}")


def fetch(client):
    yield from client["{kind}"]


def transform(raw, location):
    return Resource(id=raw["id"], type=RESOURCE.name, region=location, name=raw["id"])
"""


@pytest.fixture
def fake_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A provider's resources package on disk: two modules and a helper."""
    package = tmp_path / "fake_resources"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "compute_vm.py").write_text(FAKE_MODULE.format(service="compute", kind="vm"))
    (package / "storage_bucket.py").write_text(FAKE_MODULE.format(service="storage", kind="bucket"))
    (package / "_paging.py").write_text("PAGE = 500\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("fake_resources")
    for name in [name for name in sys.modules if name.startswith("fake_resources")]:
        del sys.modules[name]


def test_discovery_finds_each_module_by_convention_and_leaves_helpers_out(fake_resources: Any) -> None:
    found = discover(fake_resources, lambda module: load_module(module, "fake", FakeType))

    assert [module.type.name for module in found] == ["fake.compute.vm", "fake.storage.bucket"]
    vm = found[0]
    raws = list(vm.fetch({"vm": [{"id": "vm-1"}]}))
    assert [vm.transform(raw, "zone-1") for raw in raws] == [
        Resource(id="vm-1", type="fake.compute.vm", region="zone-1", name="vm-1")
    ]


def test_a_module_that_names_another_type_or_lacks_a_function_breaks_the_contract(
    fake_resources: Any,
) -> None:
    vm = importlib.import_module("fake_resources.compute_vm")
    with pytest.raises(ContractError, match=r"must describe other\.compute\.vm"):
        load_module(vm, "other", FakeType)

    bucket = importlib.import_module("fake_resources.storage_bucket")
    del bucket.transform
    with pytest.raises(ContractError, match="must define RESOURCE, fetch and transform"):
        load_module(bucket, "fake", FakeType)


def test_the_code_version_changes_with_the_sdk_version_and_with_a_module(fake_resources: Any) -> None:
    before = code_version(fake_resources, ["1.0"])
    assert code_version(fake_resources, ["1.0"]) == before
    assert code_version(fake_resources, ["1.1"]) != before

    module_file = Path(fake_resources.__file__).parent / "compute_vm.py"
    module_file.write_text(module_file.read_text() + "\n# a change to what is stored\n")
    assert code_version(fake_resources, ["1.0"]) != before


def test_calls_from_helper_threads_are_charged_to_their_listing() -> None:
    both_done = threading.Barrier(2)

    def chain(calls: int, helper: bool = True) -> None:
        for _ in range(calls):
            current_meter().call()
            current_meter().answered()
        if helper:
            both_done.wait()  # both alive until both are done: two threads, never one reused

    with metered() as meter:
        chain(2, helper=False)  # the listing's own pages
        helpers = [
            threading.Thread(target=contextvars.copy_context().run, args=(chain, calls)) for calls in (3, 5)
        ]
        for thread in helpers:
            thread.start()
        for thread in helpers:
            thread.join()
        current_meter().throttled()

    assert (meter.api_calls, meter.throttles) == (10, 1)
    assert meter.pages == 2 + 5  # its own chain, then its longest helper's
    with metered() as other:
        assert current_meter() is other and other is not meter


def test_a_segment_nothing_could_be_listed_in_reports_every_type_failed() -> None:
    heard: list[str] = []
    types = [ListedType("fake.compute.vm", "compute"), ListedType("fake.storage.bucket", "storage")]

    listings = unreachable_listings(
        "zone-1", types, "PERMISSION_DENIED", "x" * 900, AT, lambda listing: heard.append(listing.type)
    )

    assert heard == ["fake.compute.vm", "fake.storage.bucket"]
    for listing, listed in zip(listings, types, strict=True):
        assert listing.resources is None and listing.error is not None
        assert (listing.error.region, listing.error.service, listing.error.code) == (
            "zone-1",
            listed.service,
            "PERMISSION_DENIED",
        )
        assert len(listing.error.message) == 500


def test_gaps_are_reported_once_per_service_action_and_code() -> None:
    def gap(action: str, code: str) -> ListingError:
        return ListingError(region="r", service="s", type="t", code=code, message="m", at=AT, action=action)

    errors = [
        gap("s:Describe", "AccessDenied"),
        gap("s:Describe", "AccessDenied"),
        gap("s:Get", "AccessDenied"),
    ]
    assert unique_errors(errors) == [errors[0], errors[2]]


def test_the_aws_provider_keeps_the_shared_contract() -> None:
    from skylight.providers.aws.resources import ResourceType, resource_modules

    for module in resource_modules():
        assert isinstance(module, modules.ResourceModule) and isinstance(module.type, ResourceType)
