"""The benchmark's replay of read-only answers: same bytes while nothing changes, fresh ones after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.iam.models import get_account_id_from

from local.emulator import EmulatorHandle, client_for_account, start_emulator
from local.emulator.replay import ReplayCache
from tests.emulator.conftest import CUSTOMER, OTHER_CUSTOMER, SESSION


@pytest.fixture(scope="module")
def replaying() -> Iterator[tuple[EmulatorHandle, ReplayCache]]:
    cache = ReplayCache([CUSTOMER], account_of=get_account_id_from)
    with start_emulator(port=0, middleware=cache.wrap) as emulator:
        yield emulator, cache


def _ec2(emulator: EmulatorHandle, account: str = CUSTOMER) -> object:
    return client_for_account("ec2", account, emulator.endpoint_url, "us-east-1", SESSION)


def _tagged(emulator: EmulatorHandle, account: str = CUSTOMER) -> list[str]:
    groups = _ec2(emulator, account).describe_security_groups()["SecurityGroups"]  # type: ignore[attr-defined]
    return sorted(group["GroupName"] for group in groups)


def test_a_read_is_answered_again_from_the_first_answer(
    replaying: tuple[EmulatorHandle, ReplayCache],
) -> None:
    emulator, cache = replaying
    cache.clear()
    first = _tagged(emulator)
    hits = cache.hits
    assert _tagged(emulator) == first
    assert cache.hits == hits + 1


def test_a_write_into_the_account_makes_the_next_read_fresh(
    replaying: tuple[EmulatorHandle, ReplayCache],
) -> None:
    emulator, cache = replaying
    cache.clear()
    before = _tagged(emulator)
    _ec2(emulator).create_security_group(GroupName="added", Description="d")  # type: ignore[attr-defined]
    assert _tagged(emulator) == sorted([*before, "added"])


def test_a_change_behind_the_emulators_back_shows_after_clear(
    replaying: tuple[EmulatorHandle, ReplayCache],
) -> None:
    from moto.ec2.models import ec2_backends

    emulator, cache = replaying
    before = _tagged(emulator)
    ec2_backends[CUSTOMER]["us-east-1"].create_security_group("direct", "made in the backend")
    assert _tagged(emulator) == before  # still the recorded answer
    cache.clear()
    assert "direct" in _tagged(emulator)


def test_other_accounts_are_never_replayed(replaying: tuple[EmulatorHandle, ReplayCache]) -> None:
    emulator, cache = replaying
    hits = cache.hits
    _tagged(emulator, OTHER_CUSTOMER)
    _tagged(emulator, OTHER_CUSTOMER)
    assert cache.hits == hits


def _tagging(emulator: EmulatorHandle) -> object:
    return client_for_account(
        "resourcegroupstaggingapi", CUSTOMER, emulator.endpoint_url, "eu-west-3", SESSION
    )


def _tagged_arns(emulator: EmulatorHandle, page_size: int) -> list[str]:
    pages = (
        _tagging(emulator)
        .get_paginator("get_resources")
        .paginate(  # type: ignore[attr-defined]
            ResourceTypeFilters=["ec2:security-group"], ResourcesPerPage=page_size
        )
    )
    return sorted(item["ResourceARN"] for page in pages for item in page["ResourceTagMappingList"])


def test_a_listing_of_the_tagging_api_is_replayed_page_by_page(
    replaying: tuple[EmulatorHandle, ReplayCache],
) -> None:
    emulator, cache = replaying
    ec2 = client_for_account("ec2", CUSTOMER, emulator.endpoint_url, "eu-west-3", SESSION)
    for index in range(3):
        group = ec2.create_security_group(GroupName=f"tagged-{index}", Description="d")
        ec2.create_tags(Resources=[group["GroupId"]], Tags=[{"Key": "team", "Value": "a"}])
    cache.clear()
    # Pages of one: moto hands out a token per page and accepts each once, so the second listing
    # only completes if its pages are the first listing's, replayed together.
    first = _tagged_arns(emulator, page_size=1)
    hits = cache.hits
    assert _tagged_arns(emulator, page_size=1) == first
    assert len(first) == 3
    assert cache.hits == hits + 3
