"""The crawl's call budget: a token bucket per (account, region, service), under what AWS refills,
and a retry policy that gives up after a bounded number of attempts."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import skylight.crawling.budget as call_budget
from skylight.crawling.budget import Budget, TokenBucket
from skylight.models.inventory import Resource
from skylight.providers.aws import crawler
from skylight.providers.aws.crawler import BUDGETS, DEFAULT_BUDGET, RegionCrawler
from skylight.providers.aws.gateway import Boto3AwsGateway, TemporaryCredentials
from skylight.providers.aws.resources import Location, ResourceModule, ResourceType, resource_modules
from tests.faults import Throttler
from tests.support import PLATFORM_PRINCIPAL_ARN

# What AWS refills per account and region where the code's notes state it: (calls per second, burst).
PUBLISHED_REFILL = {"ec2": (20, 100), "rds": (12, None)}
EPSILON = 1e-9


class FakeTime:
    """A clock that only moves when told to, and a sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(call_budget.time, "sleep", fake.sleep)
    return fake


def most_in_any_window(times: list[float], budget: Budget) -> float:
    """How far the busiest window goes over `burst + rate * its length` (<= 0: never over)."""
    ordered = sorted(times)
    worst = float("-inf")
    for i, start in enumerate(ordered):
        for j in range(i, len(ordered)):
            worst = max(worst, (j - i + 1) - (budget.burst + budget.rate * (ordered[j] - start)))
    return worst


def test_a_full_bucket_lets_a_burst_through_then_waits_exactly_as_long_as_needed(fake_time: FakeTime) -> None:
    bucket = TokenBucket(Budget(rate=10, burst=5), clock=fake_time.clock)

    for _ in range(5):
        bucket.acquire()
    assert fake_time.sleeps == []  # the burst goes out at once

    bucket.acquire()
    bucket.acquire()
    # The 6th call waits for one token (0.1 s), the 7th for the one after it (0.2 s).
    assert fake_time.sleeps == pytest.approx([0.1, 0.2])

    fake_time.now = 0.2  # both have gone out by now; the bucket is empty
    bucket.acquire()
    assert fake_time.sleeps[-1] == pytest.approx(0.1)

    fake_time.now = 100.0  # a long pause refills the bucket up to its burst, never beyond
    for _ in range(5):
        bucket.acquire()
    bucket.acquire()
    assert fake_time.sleeps[3:] == pytest.approx([0.1])
    assert bucket.waited_s == pytest.approx(0.1 + 0.2 + 0.1 + 0.1)


def test_calls_never_go_out_faster_than_burst_plus_rate_in_any_window(fake_time: FakeTime) -> None:
    budget = Budget(rate=4, burst=3)
    bucket = TokenBucket(budget, clock=fake_time.clock)
    arrivals = random.Random(11)
    sent: list[float] = []
    for _ in range(300):
        # Bursts of eager callers and quiet spells, in one thread that really waits what it is told.
        fake_time.now += arrivals.choice([0.0, 0.0, 0.0, 0.01, 0.1, 0.5, 2.0])
        waits = len(fake_time.sleeps)
        bucket.acquire()
        fake_time.now += sum(fake_time.sleeps[waits:])
        sent.append(fake_time.now)

    assert most_in_any_window(sent, budget) <= EPSILON
    # ...and no slower than needed: the busiest window is right at the bound.
    assert most_in_any_window(sent, budget) > -1
    assert bucket.waited_s == pytest.approx(sum(fake_time.sleeps))


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_many_threads_share_one_bucket_without_losing_or_doubling_a_token(
    fake_time: FakeTime, frequent_thread_switches: None
) -> None:
    budget = Budget(rate=50, burst=10)
    threads, calls_each = 32, 100
    total = threads * calls_each
    # Without its lock, a bucket loses an update only now and then: a few rounds make it show.
    for _ in range(3):
        fake_time.sleeps.clear()
        bucket = TokenBucket(budget, clock=fake_time.clock)
        start = threading.Barrier(threads)

        def caller(bucket: TokenBucket = bucket, start: threading.Barrier = start) -> None:
            start.wait()
            for _ in range(calls_each):
                bucket.acquire()

        # The clock stands still: the burst goes out at once and every other call is given a slot
        # in the future (its wait), one every 1/rate seconds, none twice, whatever the interleaving.
        workers = [threading.Thread(target=caller) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        assert sorted(fake_time.sleeps) == pytest.approx(
            [k / budget.rate for k in range(1, total - budget.burst + 1)]
        )
        assert bucket.waited_s == pytest.approx(sum(fake_time.sleeps))


class SteppingTime:
    """A clock that moves on a little at every reading, shared by threads that each remember when
    they read it and how long they were told to wait: when their call went out.

    Each reading lets other threads run before it returns, as a real clock read may: a bucket that
    read the clock outside its lock would then go back in time and refill twice.
    """

    def __init__(self, step: float) -> None:
        self._step = step
        self._now = 0.0
        self._lock = threading.Lock()
        self._mine = threading.local()
        self._let_others_run = time.sleep  # the real one, before the test replaces it

    def clock(self) -> float:
        with self._lock:
            self._now += self._step
            now = self._now
        self._let_others_run(0)
        self._mine.read, self._mine.slept = now, 0.0
        return now

    def sleep(self, seconds: float) -> None:
        self._mine.slept = seconds

    def sent_at(self) -> float:
        return float(self._mine.read + self._mine.slept)


def test_threads_on_a_moving_clock_never_get_more_than_burst_plus_rate(
    monkeypatch: pytest.MonkeyPatch, frequent_thread_switches: None
) -> None:
    budget = Budget(rate=20, burst=4)
    fake = SteppingTime(step=0.001)
    monkeypatch.setattr(call_budget.time, "sleep", fake.sleep)
    bucket = TokenBucket(budget, clock=fake.clock)
    sent: list[float] = []
    sent_lock = threading.Lock()

    def caller() -> None:
        for _ in range(20):
            bucket.acquire()
            with sent_lock:
                sent.append(fake.sent_at())

    workers = [threading.Thread(target=caller) for _ in range(12)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(sent) == 240
    assert most_in_any_window(sent, budget) <= EPSILON
    # The clock moved 0.24 s in all (one reading a call), far less than the 11.8 s the budget
    # needs for 240 calls: the last call goes out when the budget allows, not earlier or later.
    assert max(sent) == pytest.approx((240 - budget.burst) / budget.rate, abs=0.01)


def test_every_listed_service_has_its_own_budget_under_half_of_what_aws_refills() -> None:
    services = {module.type.service for module in resource_modules()}
    assert services  # the modules were found
    assert services <= set(BUDGETS), f"no budget of their own: {sorted(services - set(BUDGETS))}"
    for service in services:
        budget = BUDGETS[service]
        assert budget.rate > 0 and budget.burst >= 1, service
    for service, (rate, burst) in PUBLISHED_REFILL.items():
        assert BUDGETS[service].rate <= rate / 2, service
        if burst is not None:
            assert BUDGETS[service].burst <= burst / 2, service
    assert BUDGETS["ec2"].rate <= 10 and BUDGETS["rds"].rate <= 6


class _Gateway:
    """Clients that are never called (the modules below list nothing)."""

    def regional_clients(
        self, credentials: Any, region: str, services: Any, hooks: Any = ()
    ) -> dict[str, Any]:
        return {service: object() for service in services}

    def release(self, clients: Any) -> None:
        return None


def _module(name: str, service: str) -> ResourceModule:
    def transform(raw: dict[str, Any], location: Location) -> Resource:
        raise AssertionError("nothing is listed")

    return ResourceModule(
        type=ResourceType(name, service), fetch=lambda client: iter(()), transform=transform
    )


def test_a_service_without_a_budget_of_its_own_gets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    given: dict[str, Budget] = {}

    class RecordingBucket(TokenBucket):
        def __init__(self, budget: Budget, *args: Any, **kwargs: Any) -> None:
            super().__init__(budget, *args, **kwargs)
            given[f"#{len(given)}"] = budget

    monkeypatch.setattr(crawler, "TokenBucket", RecordingBucket)
    modules = [_module("aws.ec2.thing", "ec2"), _module("aws.cloudtrail.trail", "cloudtrail")]

    listings = RegionCrawler(_Gateway()).list_region(  # type: ignore[arg-type]
        TemporaryCredentials("AKIAEXAMPLE", "secret"), "111111111111", "aws", "us-east-1", modules=modules
    )

    assert [listing.error for listing in listings] == [None, None]
    # Buckets are made one per service, in the services' order: cloudtrail, then ec2.
    assert list(given.values()) == [DEFAULT_BUDGET, BUDGETS["ec2"]]
    assert "cloudtrail" not in BUDGETS


def total_attempts(client: Any) -> int:
    """The attempts botocore makes of one call, the first included.

    A `Config(retries={"max_attempts": n})` counts retries: botocore turns it into
    `total_max_attempts = n + 1`, in the Config's own dict (so read it from a client).
    """
    return int(client.meta.config.retries["total_max_attempts"])


def test_crawl_clients_retry_in_standard_mode_a_bounded_number_of_times() -> None:
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1")
    clients = gateway.regional_clients(TemporaryCredentials("AKIAEXAMPLE", "secret"), "eu-west-1", BUDGETS)
    assert set(clients) == set(BUDGETS)
    for service, client in clients.items():
        assert client.meta.config.retries["mode"] == "standard", service
        # Bounded: a few retries with jittered backoff, then the listing reports the error.
        assert 2 <= total_attempts(client) <= 6, service


def test_a_call_throttled_every_time_is_tried_the_bounded_number_of_times_then_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # botocore's backoff between attempts
    always = Throttler(1.0, {"ec2"}, max_in_a_row=1_000)
    gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1", event_hooks=always.hooks())
    [ec2] = gateway.regional_clients(
        TemporaryCredentials("AKIAEXAMPLE", "secret"), "eu-west-1", ["ec2"]
    ).values()

    with pytest.raises(ClientError) as raised:
        ec2.describe_vpcs()

    assert raised.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert always.calls == always.throttled == total_attempts(ec2) <= 6
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == total_attempts(ec2) - 1
