"""Inventory: crawls of an account, its resources and health, and the tenant's totals."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from skylight.handlers.api.routes.common import AccountId, current_caller, route_errors
from skylight.handlers.dependencies import services
from skylight.logic import crawls, inventory
from skylight.models.api import (
    CrawlListOut,
    CrawlOut,
    CrawlStartedOut,
    HealthOut,
    ResourceListOut,
    ResourceOut,
    TenantInventorySummaryOut,
)

router = Router()

CrawlId = Annotated[str, Path(min_length=1, max_length=64, description="The crawl's id")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]
TYPE_PATTERN = r"^[a-z0-9]+\.[a-z0-9]+\.[a-z0-9_]+$"
REGION_PATTERN = r"^[a-z0-9-]{2,32}$"


@router.post(
    "/v1/accounts/<account_id>/crawls",
    summary="Crawl the account now",
    description="Starts a crawl (202), or returns the one already running (200): one crawl per account.",
    tags=["inventory"],
    responses={202: {"description": "started"}, **route_errors(404, 409, 503)},
)
def start_crawl(account_id: AccountId) -> Response[CrawlStartedOut]:
    caller = current_caller(router, "admin")
    crawl, started = crawls.request_crawl(services(), caller, account_id)
    return Response(
        status_code=202 if started else 200,
        content_type=content_types.APPLICATION_JSON,
        body=CrawlStartedOut(id=crawl.id, status=crawl.status.value),
    )


@router.get(
    "/v1/accounts/<account_id>/crawls",
    summary="List the account's crawls, newest first",
    tags=["inventory"],
    responses=route_errors(404),
)
def list_crawls(account_id: AccountId, limit: Limit = 20, cursor: Cursor = None) -> CrawlListOut:
    caller = current_caller(router, "viewer")
    page = crawls.list_crawls(services(), caller, account_id, limit, cursor)
    return CrawlListOut(items=[CrawlOut.of(crawl) for crawl in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/accounts/<account_id>/crawls/<crawl_id>",
    summary="Read a crawl, with its progress per region",
    tags=["inventory"],
    responses=route_errors(404),
)
def get_crawl(account_id: AccountId, crawl_id: CrawlId) -> CrawlOut:
    caller = current_caller(router, "viewer")
    return CrawlOut.of(crawls.get_crawl(services(), caller, account_id, crawl_id))


@router.get(
    "/v1/accounts/<account_id>/inventory",
    summary="List the account's resources",
    tags=["inventory"],
    responses=route_errors(404),
)
def list_inventory(
    account_id: AccountId,
    type: Annotated[str | None, Query(pattern=TYPE_PATTERN, max_length=64)] = None,
    region: Annotated[str | None, Query(pattern=REGION_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ResourceListOut:
    caller = current_caller(router, "viewer")
    page = inventory.list_inventory(services(), caller, account_id, type, region, limit, cursor)
    return ResourceListOut(
        items=[ResourceOut.model_validate(resource.model_dump()) for resource in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/v1/accounts/<account_id>/health",
    summary="What the last crawls listed and what failed",
    tags=["inventory"],
    responses=route_errors(404),
)
def account_health(account_id: AccountId) -> HealthOut:
    caller = current_caller(router, "viewer")
    return HealthOut.model_validate(inventory.account_health(services(), caller, account_id))


@router.get(
    "/v1/inventory/summary",
    summary="The tenant's inventory totals across its accounts",
    tags=["inventory"],
    responses=route_errors(),
)
def tenant_summary() -> TenantInventorySummaryOut:
    caller = current_caller(router, "viewer")
    return TenantInventorySummaryOut.model_validate(inventory.tenant_summary(services(), caller))
