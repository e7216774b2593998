"""Crawls as the deployed state machine runs them: each task in a warm process of its own.

Deployed, Begin and Plan run in one Lambda invocation each, every batch of regions in a Lambda of its
own (the Map: a region alone, or several small ones), then Finish. Here a pool of worker processes
plays the Lambdas: each worker imports the functions' code once and parses the service models a
crawl reads (a warm container that has crawled before) and runs one task at a time with the
production use cases (`skylight.logic.crawls`), provider, gateway and repositories. Every HTTP
attempt to AWS (customer calls and STS) first sleeps the configured latency on the client side;
calls to Skylight's own table are not delayed. Each task reports its calls, CPU time and peak memory.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from local.bench import FUNCTIONS_DIR, REGION

T = TypeVar("T")


class Latency:
    """A botocore `before-send` hook: sleeps a fixed time before every attempt, and counts them."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        # event_name: before-send.<service>.<Operation>
        with self._lock:
            self.calls[event_name.removeprefix("before-send.")] += 1
        if self.seconds:
            time.sleep(self.seconds)

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)


class _NoWorkflow:
    """The crawl never starts a workflow; the connect in the set-up tries, and is told it started."""

    def start(self, tenant_id: str, account_id: str, trigger: str, crawl_id: str | None = None) -> str:
        return f"bench-{account_id}"

    def stop(self, execution_arn: str, cause: str) -> None:
        return None


class _NoSchedules:
    def ensure(self, tenant_id: str, account_id: str, every_minutes: int) -> None:
        return None

    def delete(self, account_id: str) -> None:
        return None


def build_services(latency: Latency, listing_concurrency: int | None = None) -> Any:
    """The functions' own wiring on the emulator's table, with the latency hook on every AWS call and
    no workflow or schedules (the benchmark runs the crawl's steps itself)."""
    from skylight.config import get_settings
    from skylight.handlers.dependencies import build_services as wire

    return wire(
        get_settings(),
        workflow=_NoWorkflow(),
        schedules=_NoSchedules(),
        aws_event_hooks=(("before-send", latency),),
        listing_concurrency=listing_concurrency,
    )


# --- inside a worker process ------------------------------------------------------------------


class _Worker:
    """A warm worker: one latency hook, and services per listing concurrency (built on first use)."""

    def __init__(self, latency_s: float) -> None:
        self.latency = Latency(latency_s)
        self._services: dict[int | None, Any] = {}

    def services(self, listing_concurrency: int | None) -> Any:
        if listing_concurrency not in self._services:
            self._services[listing_concurrency] = build_services(self.latency, listing_concurrency)
        return self._services[listing_concurrency]

    def load_service_models(self) -> None:
        """Parse the service models a crawl reads, as a container that has crawled before has: by
        creating one client of each service (never called) with the production gateway."""
        from skylight.models.inventory import GLOBAL_SEGMENT
        from skylight.providers.aws.crawler import TAGGING, modules_for
        from skylight.providers.aws.gateway import TemporaryCredentials

        gateway = self.services(None).provider("aws").gateway
        services = {module.type.service for module in modules_for(REGION) + modules_for(GLOBAL_SEGMENT)}
        never_used = TemporaryCredentials("warm-up", "warm-up", "warm-up")
        gateway.regional_clients(never_used, REGION, services | {TAGGING, "sts"})

    def measured(self, task: Callable[[], T]) -> tuple[T, dict[str, Any]]:
        """Run `task`; what it cost: wall and CPU seconds, AWS calls by operation, peak memory."""
        calls, cpu, started = self.latency.snapshot(), _cpu_s(), time.perf_counter()
        result = task()
        made = self.latency.snapshot() - calls
        return result, {
            "wall_s": time.perf_counter() - started,
            "cpu_s": _cpu_s() - cpu,
            "calls": dict(made),
            "peak_rss_mb": _peak_rss_mb(),
            "pid": os.getpid(),
        }


_worker: _Worker | None = None


def _initialize(environment: dict[str, str], latency_s: float) -> None:
    global _worker
    os.environ.update(environment)
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    # What a function imports at start-up, done before any task is timed.
    import skylight.handlers.workflow.tasks  # noqa: F401

    _worker = _Worker(latency_s)
    _worker.load_service_models()


def _current() -> _Worker:
    if _worker is None:
        raise RuntimeError("not a crawl worker")
    return _worker


def _warm(until: float) -> int:
    """Hold this worker until `until` (so that every worker of the pool gets started); its pid."""
    time.sleep(max(0.0, until - time.time()))
    return os.getpid()


def _begin_and_plan(tenant_id: str, account_id: str) -> tuple[tuple[str, list[list[str]]], dict[str, Any]]:
    from skylight.logic import crawls

    services = _current().services(None)

    def begin_and_plan() -> tuple[str, list[list[str]]]:
        _, crawl, _ = crawls.begin_crawl(services, tenant_id, account_id, "bench", None)
        return crawl.id, crawls.plan_crawl(services, tenant_id, account_id, crawl.id)

    return _current().measured(begin_and_plan)


def _crawl_segments(
    tenant_id: str, account_id: str, crawl_id: str, regions: list[str], listing_concurrency: int | None
) -> tuple[None, dict[str, Any]]:
    from skylight.logic import crawls

    services = _current().services(listing_concurrency)

    def crawl_segments() -> None:
        crawls.crawl_segments(services, tenant_id, account_id, crawl_id, regions)

    return _current().measured(crawl_segments)


def _finish(tenant_id: str, account_id: str, crawl_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from skylight.logic import crawls

    services = _current().services(None)

    def finish() -> dict[str, Any]:
        crawl = crawls.finish_crawl(services, tenant_id, account_id, crawl_id)
        return crawl.model_dump(mode="json")

    return _current().measured(finish)


# --- the pool, driven from the benchmark's process --------------------------------------------


@dataclass(frozen=True)
class CrawlMode:
    """How a crawl runs: as deployed (None: every type of a region at once, regions at once), or the
    baseline (one call at a time: `listing_concurrency=1`, regions one after another)."""

    listing_concurrency: int | None = None
    sequential_regions: bool = False


AS_DEPLOYED = CrawlMode()
ONE_CALL_AT_A_TIME = CrawlMode(listing_concurrency=1, sequential_regions=True)


class CrawlWorkers:
    """A pool of warm worker processes, one per batch of regions crawled at once."""

    def __init__(self, size: int, environment: dict[str, str], latency_ms: float) -> None:
        self._size = size
        self._pool = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_initialize,
            initargs=(environment, latency_ms / 1000),
        )

    def warm(self) -> set[int]:
        """Start every worker (imports done) before anything is timed; their pids."""
        pids: set[int] = set()
        for hold_s in (2, 5, 10):  # each worker holds its task until all have started, or time is up
            until = time.time() + hold_s
            pids |= set(self._pool.map(_warm, [until] * self._size))
            if len(pids) >= self._size:
                break
        return pids

    def crawl(self, tenant_id: str, account_id: str, mode: CrawlMode = AS_DEPLOYED) -> dict[str, Any]:
        """One crawl: Begin+Plan, every region (a Map), Finish; figures of each step and of the whole."""
        started = time.perf_counter()
        (crawl_id, batches), planned = self._pool.submit(_begin_and_plan, tenant_id, account_id).result()
        plan_done = time.perf_counter()
        if mode.sequential_regions:  # one region after another, never several at once
            batches = [[region] for batch in batches for region in batch]
        arguments = [(tenant_id, account_id, crawl_id, batch, mode.listing_concurrency) for batch in batches]
        if mode.sequential_regions:
            listed = [self._pool.submit(_crawl_segments, *each).result() for each in arguments]
        else:
            futures = [self._pool.submit(_crawl_segments, *each) for each in arguments]
            listed = [future.result() for future in futures]
        labels = [batch_label(batch) for batch in batches]
        regions_done = time.perf_counter()
        crawl, finished = self._pool.submit(_finish, tenant_id, account_id, crawl_id).result()
        done = time.perf_counter()
        steps = [planned, *(figures for _, figures in listed), finished]
        calls: Counter[str] = Counter()
        for step in steps:
            calls.update(step["calls"])
        return {
            "crawl": crawl,
            "wall_s": done - started,
            "phases": {
                "plan": plan_done - started,
                "regions": regions_done - plan_done,
                "finish": done - regions_done,
            },
            "batches": len(batches),
            "batch_wall_s": {
                label: figures["wall_s"] for label, (_, figures) in zip(labels, listed, strict=True)
            },
            "batch_cpu_s": {
                label: figures["cpu_s"] for label, (_, figures) in zip(labels, listed, strict=True)
            },
            "http_calls": sum(calls.values()),
            "calls_by_operation": dict(calls),
            "plan_calls": sum(planned["calls"].values()),
            "cpu_s": sum(step["cpu_s"] for step in steps),
            "peak_rss_mb": max(step["peak_rss_mb"] for step in steps),
            "workers": len({step["pid"] for step in steps}),
        }

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> CrawlWorkers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def batch_label(batch: list[str]) -> str:
    """A region, or a batch of them by its first and how many more."""
    return batch[0] if len(batch) == 1 else f"{batch[0]} and {len(batch) - 1} more"


def _peak_rss_mb() -> float:
    """This process's own peak resident set (Linux's VmHWM; `ru_maxrss` elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
