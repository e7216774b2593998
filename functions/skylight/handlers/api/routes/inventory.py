"""Inventory: crawls of an account, its resources and health, and the tenant's totals."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from skylight.handlers.api.routes.common import (
    AccountId,
    CrawlId,
    Cursor,
    Limit,
    current_caller,
    documented,
    ok,
)
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

# ASCII classes written out, whole value: pydantic's regex reads `$` as the end (no trailing newline).
TYPE_PATTERN = r"^[a-z0-9]+\.[a-z0-9]+\.[a-z0-9_]+$"
REGION_PATTERN = r"^[a-z0-9-]{2,32}$"
CRAWL_LINKS = {
    "get_crawl": {
        "operationId": "get_crawl",
        "parameters": {"account_id": "$request.path.account_id", "crawl_id": "$response.body#/id"},
    }
}


@router.post(
    "/v1/accounts/<account_id>/crawls",
    summary="Crawl the account now",
    description="Starts a crawl (202), or returns the one already running (200): one crawl per account.",
    tags=["inventory"],
    operation_id="start_crawl",
    responses=documented(
        {
            **ok("started", 202, CRAWL_LINKS),
            **ok("the crawl already running (one crawl per account at a time)", links=CRAWL_LINKS),
        },
        400,
        404,
        429,
        503,
        conflicts="account_disconnected",
    ),
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
    operation_id="list_crawls",
    responses=documented(ok("a page of the account's crawls"), 400, 404),
)
def list_crawls(account_id: AccountId, limit: Limit = 20, cursor: Cursor = None) -> CrawlListOut:
    caller = current_caller(router, "viewer")
    page = crawls.list_crawls(services(), caller, account_id, limit, cursor)
    return CrawlListOut(items=[CrawlOut.of(crawl) for crawl in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/accounts/<account_id>/crawls/<crawl_id>",
    summary="Read a crawl, with its progress per region",
    tags=["inventory"],
    operation_id="get_crawl",
    responses=documented(ok("the crawl"), 400, 404),
)
def get_crawl(account_id: AccountId, crawl_id: CrawlId) -> CrawlOut:
    caller = current_caller(router, "viewer")
    return CrawlOut.of(crawls.get_crawl(services(), caller, account_id, crawl_id))


@router.get(
    "/v1/accounts/<account_id>/inventory",
    summary="List the account's resources",
    tags=["inventory"],
    operation_id="list_inventory",
    responses=documented(ok("a page of the account's resources"), 400, 404),
)
def list_inventory(
    account_id: AccountId,
    type: Annotated[
        str | None, Query(pattern=TYPE_PATTERN, max_length=64, description="e.g. aws.ec2.instance")
    ] = None,
    region: Annotated[
        str | None, Query(pattern=REGION_PATTERN, description="e.g. eu-west-1, or global")
    ] = None,
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
    operation_id="account_health",
    responses=documented(ok("the account's health"), 400, 404),
)
def account_health(account_id: AccountId) -> HealthOut:
    caller = current_caller(router, "viewer")
    return HealthOut.model_validate(inventory.account_health(services(), caller, account_id))


@router.get(
    "/v1/inventory/summary",
    summary="The tenant's inventory totals across its accounts",
    tags=["inventory"],
    operation_id="tenant_summary",
    responses=documented(ok("the tenant's totals")),
)
def tenant_summary() -> TenantInventorySummaryOut:
    caller = current_caller(router, "viewer")
    return TenantInventorySummaryOut.model_validate(inventory.tenant_summary(services(), caller))
