"""Crawls under throttling and within their call budget.

Throttling comes from the boundary (tests.faults.Throttler answers in AWS's place, in each protocol's
wire format); botocore retries it as it would retry AWS. Only the calls of the crawl's listings are
throttled: validation and planning are covered elsewhere.
"""

from __future__ import annotations

import functools
import io
import json
import threading
import time
import zipfile
from collections import Counter, defaultdict

import pytest
from botocore.retries.standard import ExponentialBackoff

import skylight.crawling.budget as call_budget
from skylight.config import get_settings
from skylight.crawling.budget import Budget
from skylight.providers.aws import crawler
from skylight.providers.aws.crawler import RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import resource_modules
from tests.faults import CallLog, Throttler, crawl_region
from tests.integration import test_crawls
from tests.integration.conftest import SESSION
from tests.integration.crawling import customer, run_crawl
from tests.integration.test_crawls import count_of
from tests.integration.test_unusual_provider_answers import use_gateway_hooks
from tests.support import PLATFORM_ACCOUNT, PLATFORM_PRINCIPAL_ARN

estate = test_crawls.estate  # instances in us-east-1 (3) and eu-west-1 (2), a bucket in ap-southeast-2

TAGGING_ID = "resource-groups-tagging-api"
# Every service the crawl calls: botocore's name in event names (what faults match) -> the crawl's.
SERVICES = {
    "ec2": "ec2",
    "s3": "s3",
    "rds": "rds",
    "lambda": "lambda",
    "dynamodb": "dynamodb",
    "ecs": "ecs",
    "eks": "eks",
    "auto-scaling": "autoscaling",
    "elastic-load-balancing-v2": "elbv2",
    # Tags of the types whose listings carry none; its calls are charged to the listing that needs
    # them first in a region.
    TAGGING_ID: "resourcegroupstaggingapi",
}
TABLES = ("orders", "customers", "invoices")


@pytest.fixture
def quick_backoff(monkeypatch):
    """botocore's jittered backoff between attempts, fifty times shorter: the same retries, sooner."""
    real = ExponentialBackoff.delay_amount
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: real(self, context) / 50)


def _function_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def rich_estate(estate):
    """The estate, and tables (described one by one, from helper threads), a function and an ECS
    cluster with services."""
    account, role = estate
    for name in TABLES:
        customer("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    function_role = customer("iam").create_role(RoleName="api", AssumeRolePolicyDocument=json.dumps(trust))
    customer("lambda", "eu-west-1").create_function(
        FunctionName="api",
        Runtime="python3.12",
        Role=function_role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": _function_zip()},
    )
    ecs = customer("ecs")
    cluster = ecs.create_cluster(clusterName="ops")["cluster"]["clusterArn"]
    definition = ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    for name in ("web", "worker"):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=definition, desiredCount=0)
    return account, role


def crawl_of(api, account_id, crawl_id):
    status, crawl = api("GET", f"/v1/accounts/{account_id}/crawls/{crawl_id}")
    assert status == 200, crawl
    return crawl


def health_of(api, account_id):
    status, health = api("GET", f"/v1/accounts/{account_id}/health")
    assert status == 200, health
    return health


def as_reported(injected):
    """'<region>|<service id>' counts as the crawl reports them, '<region>|<service>'; apart, the
    tagging API's by region (the crawl charges them to a listing that needed tags)."""
    reported: Counter[str] = Counter()
    tagging: Counter[str] = Counter()
    for key, count in injected.items():
        region, service = key.split("|")
        if service == TAGGING_ID:
            tagging[region] += count
        else:
            reported[f"{region}|{SERVICES[service]}"] += count
    return reported, tagging


def services_called():
    """The services whose clients a crawl makes: those of the types, and the tagging API if a type
    takes its tags from it."""
    modules = resource_modules()
    tagging = {crawler.TAGGING} if any(getattr(m.type, "tags_from", None) for m in modules) else set()
    return {module.type.service for module in modules} | tagging


def tagged_services():
    """The services of the types whose tags come from the tagging API."""
    return {m.type.service for m in resource_modules() if getattr(m.type, "tags_from", None)}


@functools.cache
def total_attempts():
    """The attempts a crawl client makes of one call, the first included (read from a client)."""
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, get_settings().region)
    [client] = gateway.regional_clients(
        TemporaryCredentials("AKIAEXAMPLE", "x"), "us-east-1", ["ec2"]
    ).values()
    return int(client.meta.config.retries["total_max_attempts"])


def test_the_services_here_are_every_service_the_crawl_calls():
    assert set(SERVICES.values()) >= services_called()


def test_throttling_a_third_of_every_services_calls_changes_no_count_and_is_reported_as_injected(
    api, rich_estate, quick_backoff
):
    account, _ = rich_estate
    clean = crawl_of(api, account["id"], run_crawl(account["id"])["crawl_id"])
    assert clean["status"] == "succeeded" and clean["throttles"] == 0
    assert clean["counts_by_type"]["aws.ec2.instance"] == 5
    assert clean["counts_by_type"]["aws.s3.bucket"] == 1
    assert clean["counts_by_type"]["aws.dynamodb.table"] == len(TABLES)
    assert clean["counts_by_type"]["aws.lambda.function"] == 1
    assert clean["counts_by_type"]["aws.ecs.cluster"] == 1
    assert clean["counts_by_type"]["aws.ecs.service"] == 2

    # 30% of the listings' calls of every service but S3, at random; S3 lists buckets with one call
    # a crawl, so each of its calls is throttled twice, then let through.
    random_third = Throttler(0.3, set(SERVICES) - {"s3"}, listings_only=True)
    s3_twice = Throttler(1.0, {"s3"}, max_in_a_row=2, listings_only=True)
    use_gateway_hooks(random_third.hooks() + s3_twice.hooks())
    finished = run_crawl(account["id"])

    crawl = crawl_of(api, account["id"], finished["crawl_id"])
    assert crawl["errors"] == [] and crawl["failure"] is None, [
        (e["region"], e["type"], e["code"], e["message"]) for e in crawl["errors"]
    ]
    assert finished["status"] == crawl["status"] == "succeeded"
    assert all(region["status"] == "succeeded" for region in crawl["regions"].values())
    assert crawl["counts_by_type"] == clean["counts_by_type"]
    assert crawl["resources"] == clean["resources"]

    injected = random_third.throttled_in_listings + s3_twice.throttled_in_listings
    total = sum(injected.values())
    direct, tagging = as_reported(injected)
    assert direct["global|s3"] == 2
    assert total > 50  # many throttles, of many services
    assert len({key.split("|")[1] for key in direct}) >= 6
    assert crawl["throttles"] == total
    for region, progress in crawl["regions"].items():
        in_region = sum(count for key, count in injected.items() if key.split("|")[0] == region)
        assert progress["throttles"] == in_region, region

    throttles = health_of(api, account["id"])["throttles"]
    assert throttles["total"] == total
    reported = Counter(throttles["by_region_service"])
    # Each service's own throttles are reported under it; the tagging API's are charged to a listing
    # of its region that takes its tags from it, so they show under that listing's service.
    assert all(reported[key] >= count for key, count in direct.items())
    charged = reported - direct
    assert {key.split("|")[1] for key in charged} <= tagged_services()
    charged_by_region = Counter({key.split("|")[0]: 0 for key in charged})
    for key, count in charged.items():
        charged_by_region[key.split("|")[0]] += count
    assert charged_by_region == tagging
    assert sum(charged.values()) == sum(tagging.values())


def test_a_listing_throttled_on_every_attempt_gives_up_after_bounded_attempts_and_keeps_its_items(
    api, rich_estate, quick_backoff
):
    account, _ = rich_estate
    clean = crawl_of(api, account["id"], run_crawl(account["id"])["crawl_id"])
    assert clean["status"] == "succeeded"

    log = CallLog()
    always = Throttler(1.0, {"lambda"}, max_in_a_row=1_000_000, listings_only=True)
    use_gateway_hooks(log.hooks() + always.hooks())  # the log first: it sees every attempt
    finished = run_crawl(account["id"])

    assert finished["status"] == "partial"
    crawl = crawl_of(api, account["id"], finished["crawl_id"])
    regions = set(crawl["regions"]) - {"global"}
    assert len(regions) == 17
    assert {(e["region"], e["service"], e["type"], e["code"]) for e in crawl["errors"]} == {
        (region, "lambda", "aws.lambda.function", "TooManyRequestsException") for region in regions
    }
    assert len(crawl["errors"]) == 17
    without_functions = {k: v for k, v in clean["counts_by_type"].items() if k != "aws.lambda.function"}
    assert crawl["counts_by_type"] == without_functions  # every other type listed in full

    # Each region's one ListFunctions call was tried the bounded number of times, no more.
    attempts = Counter(
        call.crawl_region
        for call in log.listing_calls()
        if (call.service, call.operation) == ("lambda", "ListFunctions")
    )
    assert attempts == {region: total_attempts() for region in regions}
    assert total_attempts() <= 6
    assert always.throttled == always.calls == 17 * total_attempts()
    for region in regions:
        assert crawl["regions"][region]["throttles"] == total_attempts(), region
        assert crawl["regions"][region]["status"] == "partial", region

    # The function listed before is kept, and said to be stale, in every region, with the code.
    [function] = count_of(api, account["id"], type="aws.lambda.function")
    assert (function["name"], function["region"]) == ("api", "eu-west-1")
    health = health_of(api, account["id"])
    assert health["state"] == "degraded"
    assert {(s["region"], s["type"], s["error_code"]) for s in health["stale"]} == {
        (region, "aws.lambda.function", "TooManyRequestsException") for region in regions
    }
    assert all(s["last_success_at"] for s in health["stale"])
    assert {e["code"] for e in health["errors"]} == {"TooManyRequestsException"}
    assert health["permission_gaps"] == []  # throttling is no missing permission
    assert health["throttles"]["total"] == 17 * total_attempts()
    assert health["throttles"]["by_region_service"] == {
        f"{region}|lambda": total_attempts() for region in regions
    }


# A budget small enough for a small estate to run into it.
TINY = Budget(rate=5, burst=1)


def over_budget(times, budget):
    """How far the busiest window of calls goes over `burst + rate * its length` (<= 0: never)."""
    ordered = sorted(times)
    return max(
        (j - i + 1) - (budget.burst + budget.rate * (ordered[j] - ordered[i]))
        for i in range(len(ordered))
        for j in range(i, len(ordered))
    )


class Grants:
    """When the crawler's budget let each call go (its slot: when the bucket read the clock, plus
    what it told the call to wait), and which bucket did.

    Measured at the bucket, not when the call left: threads woken from their wait can queue for
    the interpreter for most of a second here (a whole crawl in one process on a small machine),
    which says nothing about the budget. That every call leaves through a bucket is checked apart.
    """

    def __init__(self, monkeypatch):
        self._mine = threading.local()
        self._lock = threading.Lock()
        self.slots = defaultdict(list)  # (crawl region, service) -> slots
        self.buckets = defaultdict(set)  # (crawl region, service) -> the buckets that granted them
        real_sleep, grants = time.sleep, self

        def clock():
            grants._mine.read, grants._mine.slept = time.monotonic(), 0.0
            return grants._mine.read

        def sleep(seconds):
            grants._mine.slept = seconds
            real_sleep(seconds)

        class RecordedBucket(crawler.TokenBucket):
            def __init__(self, budget, clock_=None):
                super().__init__(budget, clock=clock)

            def acquire(self):
                super().acquire()
                grants._mine.bucket = self

        monkeypatch.setattr(crawler, "TokenBucket", RecordedBucket)
        monkeypatch.setattr(call_budget.time, "sleep", sleep)

    def hooks(self):
        # After the crawler's own hooks: the gateway registers its caller's first.
        return (("before-call", self._granted),)

    def _granted(self, event_name, context, **_):
        region = crawl_region(context.get("client_region"))
        if region is None:
            return
        key = (region, SERVICES[event_name.split(".")[1]])
        with self._lock:
            self.slots[key].append(self._mine.read + self._mine.slept)
            self.buckets[key].add(self._mine.bucket)  # the bucket itself: an id may be reused once freed


def test_no_service_of_any_region_goes_over_its_call_budget_during_a_crawl(api, rich_estate, monkeypatch):
    account, _ = rich_estate
    # The crawler reads its budgets when it is made, for each region.
    monkeypatch.setattr(crawler, "BUDGETS", dict.fromkeys({*SERVICES.values(), *crawler.BUDGETS}, TINY))
    grants, sent = Grants(monkeypatch), CallLog()
    use_gateway_hooks(grants.hooks() + sent.hooks())

    finished = run_crawl(account["id"])

    crawl = crawl_of(api, account["id"], finished["crawl_id"])
    assert crawl["errors"] == [] and finished["status"] == "succeeded"
    sends = Counter((call.crawl_region, SERVICES[call.service]) for call in sent.listing_calls())
    # Every call that left was granted first (no retries here: one attempt a call)...
    assert {key: len(slots) for key, slots in grants.slots.items()} == dict(sends)
    assert sends[("us-east-1", "ec2")] >= 7  # a call per EC2 type at least
    assert sends[("us-east-1", "dynamodb")] == 1 + len(TABLES)  # ListTables, a describe a table
    assert len(sends) >= 17 * 7  # the services of every region
    # ...by one bucket of its own per (region, service)...
    assert all(len(buckets) == 1 for buckets in grants.buckets.values())
    assert len(set.union(*grants.buckets.values())) == len(grants.buckets)
    # ...that never let more than burst + rate * elapsed go in any window.
    for key, slots in grants.slots.items():
        assert over_budget(slots, TINY) <= 1e-9, (key, sorted(slots))
    assert over_budget(grants.slots[("us-east-1", "ec2")], TINY) > -1  # right at the bound: it waited


def test_detail_calls_from_helper_threads_wait_for_the_listings_budget(aws):
    """At the crawler's level (no API): ListTables and a DescribeTable per table, eight at once."""
    dynamodb = SESSION.client("dynamodb")
    tables = [f"table-{i:02d}" for i in range(10)]
    for name in tables:
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    budget = Budget(rate=10, burst=2)
    sent = CallLog()
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1", event_hooks=sent.hooks())
    regional = RegionCrawler(gateway, budgets={"dynamodb": budget})
    [module] = [m for m in resource_modules() if m.type.name == "aws.dynamodb.table"]

    started = time.monotonic()
    [listing] = regional.list_region(
        # The emulator's own account, whose dummy credentials these are (the platform's table is there).
        TemporaryCredentials("testing", "testing"),
        PLATFORM_ACCOUNT,
        "aws",
        "us-east-1",
        modules=[module],
    )

    assert listing.error is None
    assert set(tables) <= {resource.name for resource in listing.resources or []}
    calls = [call for call in sent.calls if call.service == "dynamodb"]
    assert [call.operation for call in calls].count("DescribeTable") == len(listing.resources or [])
    assert {call.crawl_region for call in calls} == {"us-east-1"}  # from the listing and helper threads
    assert listing.api_calls == len(sent.calls)  # every call charged to the listing
    # The last call left no sooner than the budget allows after the first.
    assert max(call.at for call in calls) - started >= (len(calls) - budget.burst) / budget.rate
