"""Use cases that read inventory: resources, per-account summaries and health, tenant totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from skylight.logic.accounts import all_accounts, attention, get_account
from skylight.logic.services import Services
from skylight.models.domain import Account, AccountStatus, Caller
from skylight.models.inventory import Crawl, CrawlStatus, InventorySummary, ListedResource, segment_key

logger = Logger(child=True)


@dataclass(frozen=True)
class InventoryPage:
    items: list[ListedResource]
    next_cursor: str | None


# Provider error codes that mean "not allowed" rather than "broken": shown as permission gaps.
PERMISSION_ERROR_MARKERS = ("AccessDenied", "Unauthorized", "Forbidden", "AuthorizationError")


def list_inventory(
    services: Services,
    caller: Caller,
    account_id: str,
    resource_type: str | None,
    region: str | None,
    limit: int,
    cursor: str | None,
) -> InventoryPage:
    """A page of the account's resources, each saying whether it is stale (its listing failed since)
    and when it was last listed; readable while the account is retained after a disconnect."""
    get_account(services, caller, account_id)
    page = services.inventory.page(caller.tenant_id, account_id, resource_type, region, limit, cursor)
    summary = services.inventory.summary(caller.tenant_id, account_id)
    segments = summary.segments if summary else {}
    listed = []
    for resource, segment_name in zip(page.items, page.segments, strict=True):
        segment = segments.get(segment_key(segment_name, resource.type))
        listed.append(
            ListedResource(
                **resource.model_dump(),
                stale=bool(segment and segment.stale),
                last_success_at=segment.last_success_at if segment else None,
            )
        )
    return InventoryPage(listed, page.next_cursor)


def inventory_summary(summary: InventorySummary | None) -> dict[str, Any]:
    if summary is None:
        return {"total": 0, "by_type": {}, "by_region": {}}
    return {"total": summary.total, "by_type": summary.by_type, "by_region": summary.by_region}


def account_overview(services: Services, caller: Caller, account_id: str) -> tuple[Account, dict[str, Any]]:
    """The account with its inventory summary and health."""
    account = get_account(services, caller, account_id)
    summary = services.inventory.summary(caller.tenant_id, account_id)
    return account, {
        "inventory_summary": inventory_summary(summary),
        "health": _health(services, account, summary, detailed=False),
    }


def account_health(services: Services, caller: Caller, account_id: str) -> dict[str, Any]:
    account = get_account(services, caller, account_id)
    summary = services.inventory.summary(caller.tenant_id, account_id)
    return _health(services, account, summary, detailed=True)


def tenant_summary(services: Services, caller: Caller) -> dict[str, Any]:
    """Totals across every account the tenant can still see."""
    visible = {account.id: account for account in all_accounts(services, caller.tenant_id)}
    summaries = [s for s in services.inventory.summaries(caller.tenant_id) if s.account_id in visible]
    by_type: dict[str, int] = {}
    by_region: dict[str, int] = {}
    by_account = []
    for summary in summaries:
        for key, count in summary.by_type.items():
            by_type[key] = by_type.get(key, 0) + count
        for key, count in summary.by_region.items():
            by_region[key] = by_region.get(key, 0) + count
        account = visible[summary.account_id]
        by_account.append(
            {
                "account_id": account.id,
                "name": account.name,
                "status": account.status.value,
                "total": summary.total,
                "last_successful_crawl_at": summary.last_successful_crawl_at,
            }
        )
    return {
        "accounts": len(visible),
        "total": sum(by_type.values()),
        "by_type": dict(sorted(by_type.items())),
        "by_region": dict(sorted(by_region.items())),
        "by_account": sorted(by_account, key=lambda row: -int(row["total"])),
    }


def purge_account_data(services: Services, tenant_id: str, account_id: str) -> int:
    """Delete what an aged-out account left behind: resources, summary, crawl history, lock.

    Runs once DynamoDB's TTL has removed the account item itself (the retention is over).
    """
    deleted = services.inventory.purge(tenant_id, account_id) + services.crawls.purge(tenant_id, account_id)
    logger.info("aged-out account purged", extra={"account_id": account_id, "items": deleted})
    return deleted


def _health(
    services: Services, account: Account, summary: InventorySummary | None, detailed: bool
) -> dict[str, Any]:
    last_crawl = None
    if summary is not None and summary.last_crawl_id is not None:
        last_crawl = services.crawls.get(account.tenant_id, account.id, summary.last_crawl_id)
    segments = summary.segments if summary else {}
    stale = [
        {
            "region": key.split("|", 1)[0],
            "type": key.split("|", 1)[1],
            "last_success_at": segment.last_success_at,
            "error_code": segment.error.code if segment.error else None,
        }
        for key, segment in sorted(segments.items())
        if segment.stale
    ]
    failed = [segment.error for _, segment in sorted(segments.items()) if segment.stale and segment.error]
    # What is stored without some detail: the calls that were refused or failed when it was listed.
    without_details = [gap for _, segment in sorted(segments.items()) for gap in segment.gaps]
    errors = failed + without_details
    denied = [error for error in errors if _is_permission_error(error.code)]
    gaps = sorted(
        {f"{error.service}:{error.code}" for error in denied}
        | {f"missing:{error.action}" for error in denied if error.action}
        | {f"missing:{action}" for action in account.permissions.missing_actions}
    )
    notes = attention(services, account)
    health: dict[str, Any] = {
        "state": _state(account, summary, stale, gaps, notes["warnings"]),
        "warnings": notes["warnings"],
        "last_successful_crawl_at": summary.last_successful_crawl_at if summary else None,
        "last_crawl": _crawl_brief(last_crawl),
        "stale": len(stale),
        "errors": len(errors),
        "permission_gaps": len(gaps),
        "throttles": last_crawl.throttles if last_crawl else 0,
    }
    if detailed:
        health.update(
            credential_age=notes["credential_age"],
            external_id=notes["external_id"],
            account_status=account.status.value,
            last_validated_at=account.last_validated_at,
            last_validation_result=account.last_validation_result,
            errors=[error.model_dump(mode="json") for error in errors],
            stale=stale,
            permission_gaps=gaps,
            throttles=_throttles(last_crawl),
        )
    return health


def _state(
    account: Account, summary: InventorySummary | None, stale: list[Any], gaps: list[str], warnings: list[str]
) -> str:
    if account.status is AccountStatus.DISCONNECTED:
        return "disconnected"
    if account.status is AccountStatus.FAILING:
        return "failing"
    if summary is None or summary.last_crawl_status is None:
        return "never_crawled"
    if summary.last_crawl_status is CrawlStatus.FAILED:
        return "failing"
    if summary.last_crawl_status is CrawlStatus.PARTIAL or stale or gaps or warnings:
        return "degraded"
    return "healthy"


def _crawl_brief(crawl: Crawl | None) -> dict[str, Any] | None:
    if crawl is None:
        return None
    return {
        "id": crawl.id,
        "status": crawl.status.value,
        "trigger": crawl.trigger,
        "started_at": crawl.started_at,
        "finished_at": crawl.finished_at,
        "resources": crawl.resources,
        "errors": len(crawl.errors),
    }


def _throttles(crawl: Crawl | None) -> dict[str, Any]:
    if crawl is None:
        return {"total": 0, "by_region_service": {}}
    by_region_service: dict[str, int] = {}
    for region, progress in crawl.segments.items():
        for outcome in progress.outcomes.values():
            if outcome.throttles:
                key = f"{region}|{outcome.service}"
                by_region_service[key] = by_region_service.get(key, 0) + outcome.throttles
    return {"total": crawl.throttles, "by_region_service": dict(sorted(by_region_service.items()))}


def _is_permission_error(code: str) -> bool:
    return any(marker in code for marker in PERMISSION_ERROR_MARKERS)
