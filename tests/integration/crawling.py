"""Running a crawl the way the state machine does, through the real task handlers, in-process.

Begin -> Validate -> (connected?) Plan -> CrawlRegion for every batch of regions (concurrently, like
the Map) -> Finish. The state machine's own wiring is checked by the infrastructure and emulator tests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from skylight.handlers.workflow import tasks
from tests.support import CUSTOMER_ACCOUNT, LambdaContext, account_client


def run_crawl(account_id: str, tenant: str = "tenant-a", crawl_id: str | None = None) -> dict[str, Any]:
    """One execution of the account workflow; returns the Finish task's output."""
    start = {"tenant_id": tenant, "account_id": account_id, "trigger": "manual"}
    if crawl_id:
        start["crawl_id"] = crawl_id
    begin = tasks.begin_crawl({"workflow": start}, LambdaContext())
    if begin["already_running"]:
        return {"crawl_id": begin["crawl_id"], "status": "running", "resources": 0}
    validation = tasks.validate_account(begin, LambdaContext())
    if validation["result"] != "connected":
        return tasks.finish_crawl(begin | {"failure": "validation_failed"}, LambdaContext())
    plan = tasks.plan_crawl(begin, LambdaContext())
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda batch: _crawl_batch(begin, batch), plan["batches"]))
    return tasks.finish_crawl(begin, LambdaContext())


def _crawl_batch(begin: dict[str, Any], batch: list[str]) -> dict[str, Any] | None:
    # As the Map's Catch does: a batch that fails is left as it stands, and Finish reports it.
    try:
        return tasks.crawl_region(begin | {"regions": batch}, LambdaContext())
    except Exception:
        return None


def customer(service: str, region: str = "us-east-1") -> Any:
    return account_client(service, CUSTOMER_ACCOUNT, region=region)
