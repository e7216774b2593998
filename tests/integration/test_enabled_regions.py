"""A crawl goes to the regions the account has enabled, and nowhere else.

The emulator (local/emulator/regions.py) answers DescribeRegions the way AWS answers a new account:
the 17 regions that need no opt-in. It keeps no opt-in state per account (moto has no
account:EnableRegion), so an account that opted in to a region is emulated at the boundary:
tests.faults.RegionsAnswer answers DescribeRegions in AWS's wire format in the emulator's place,
as the other faults do. The region itself is then listed by the emulator like any other.
"""

from __future__ import annotations

import boto3

from local.emulator.regions import DEFAULT_ENABLED
from tests.faults import CallLog, RegionsAnswer
from tests.integration.crawling import customer, run_crawl
from tests.integration.test_crawls import count_of
from tests.integration.test_unusual_provider_answers import use_gateway_hooks

# Every region of the commercial partition that botocore knows, opt-in ones included.
ALL_REGIONS = frozenset(boto3.session.Session().get_available_regions("ec2", "aws"))
OPTED_IN = "ap-east-1"
# An opt-in region in each state that does not make it usable.
NOT_USABLE = {"me-south-1": "not-opted-in", "af-south-1": "opting-in", "eu-south-1": "opting-out"}


def regions_called(calls):
    """Every region a call was signed for or addressed to (its endpoint's host)."""
    called = {call.signed_region for call in calls if call.signed_region}
    for call in calls:
        called |= {region for region in ALL_REGIONS if f".{region}." in f".{call.host}."}
    return called


def test_the_emulator_knows_opt_in_regions():
    # Else the checks below would prove nothing about them.
    assert {OPTED_IN, *NOT_USABLE} <= ALL_REGIONS - DEFAULT_ENABLED
    assert len(ALL_REGIONS - DEFAULT_ENABLED) >= 5


def test_a_new_account_is_crawled_in_the_regions_that_need_no_opt_in_and_nowhere_else(api, connected):
    account, _ = connected
    log = CallLog()
    use_gateway_hooks(log.hooks())

    finished = run_crawl(account["id"])

    assert finished["status"] == "succeeded"
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{finished['crawl_id']}")
    assert set(crawl["regions"]) == {"global", *DEFAULT_ENABLED}
    assert len(log.listing_calls()) > 17 * 16  # the log saw the crawl
    assert {call.crawl_region for call in log.listing_calls()} == {"global", *DEFAULT_ENABLED}
    assert regions_called(log.calls) <= DEFAULT_ENABLED


def test_an_opted_in_region_is_crawled_and_regions_not_opted_in_are_never_called(api, connected):
    account, _ = connected
    ec2 = customer("ec2", OPTED_IN)
    [instance] = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro")[
        "Instances"
    ]
    # The account as AWS would describe it if every opt-in region's state were listed: the code must
    # read OptInStatus itself, not count on AWS leaving out what is not enabled.
    regions = RegionsAnswer(DEFAULT_ENABLED, {OPTED_IN: "opted-in", **NOT_USABLE}, list_every_status=True)
    log = CallLog()
    use_gateway_hooks(log.hooks() + regions.hooks())  # the log first: it sees every call

    finished = run_crawl(account["id"])

    assert regions.answered >= 1
    assert finished["status"] == "succeeded"
    _, crawl = api("GET", f"/v1/accounts/{account['id']}/crawls/{finished['crawl_id']}")
    assert set(crawl["regions"]) == {"global", *DEFAULT_ENABLED, OPTED_IN}
    assert crawl["regions"][OPTED_IN]["status"] == "succeeded"
    assert crawl["regions"][OPTED_IN]["types_done"] == 16
    assert {call.crawl_region for call in log.listing_calls()} == {"global", *DEFAULT_ENABLED, OPTED_IN}
    called = regions_called(log.calls)
    assert OPTED_IN in called
    assert called <= {*DEFAULT_ENABLED, OPTED_IN}, called - {*DEFAULT_ENABLED, OPTED_IN}
    assert not called & set(NOT_USABLE)
    # The opted-in region's instance is in the inventory, where it lives.
    [listed] = count_of(api, account["id"], region=OPTED_IN, type="aws.ec2.instance")
    assert listed["id"].endswith(instance["InstanceId"])
