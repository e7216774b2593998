"""/v1/accounts: connect, list, read, rename, test and disconnect cloud accounts."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from skylight.handlers.api.routes.common import AccountId, current_caller, route_errors
from skylight.handlers.dependencies import services
from skylight.logic import accounts, inventory
from skylight.models.api import (
    AccountDetailOut,
    AccountListOut,
    AccountOut,
    ConnectAccountRequest,
    TestResultOut,
    UpdateAccountRequest,
)

router = Router()


@router.post(
    "/v1/accounts",
    summary="Connect an account",
    description="Validates the connection synchronously and stores it only when it works.",
    tags=["accounts"],
    responses={201: {"description": "connected"}, **route_errors(409, 422, 503)},
)
def connect_account(request: Annotated[ConnectAccountRequest, Body()]) -> Response[AccountOut]:
    caller = current_caller(router, "admin")
    account = accounts.connect_account(
        services(),
        caller,
        request.provider,
        request.name,
        request.access,
        request.credentials.model_dump(),
        request.crawl_interval_minutes,
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=AccountOut.of(account))


@router.get("/v1/accounts", summary="List accounts", tags=["accounts"], responses=route_errors())
def list_accounts(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AccountListOut:
    caller = current_caller(router, "viewer")
    page = accounts.list_accounts(services(), caller, limit, cursor)
    return AccountListOut(items=[AccountOut.of(a) for a in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/accounts/<account_id>", summary="Read an account", tags=["accounts"], responses=route_errors(404)
)
def get_account(account_id: AccountId) -> AccountDetailOut:
    caller = current_caller(router, "viewer")
    account, overview = inventory.account_overview(services(), caller, account_id)
    return AccountDetailOut.model_validate({**AccountOut.of(account).model_dump(), **overview})


@router.patch(
    "/v1/accounts/<account_id>",
    summary="Rename an account or change its crawl schedule",
    tags=["accounts"],
    responses=route_errors(404, 409),
)
def update_account(account_id: AccountId, request: Annotated[UpdateAccountRequest, Body()]) -> AccountOut:
    caller = current_caller(router, "admin")
    account = accounts.update_account(
        services(), caller, account_id, request.name, request.crawl_interval_minutes
    )
    return AccountOut.of(account)


@router.post(
    "/v1/accounts/<account_id>/test",
    summary="Test a connection again",
    description="Re-runs every validation step now and records the outcome on the account.",
    tags=["accounts"],
    responses=route_errors(404, 409),
)
def test_account(account_id: AccountId) -> TestResultOut:
    caller = current_caller(router, "admin")
    account, report = accounts.test_account(services(), caller, account_id)
    return TestResultOut(
        result=report.result,
        message=report.message,
        steps=report.steps,
        diagnosis=report.diagnosis,
        account=AccountOut.of(account),
    )


@router.delete(
    "/v1/accounts/<account_id>",
    summary="Disconnect an account",
    description="Calls stop at once; the account stays readable until `retained_until`, then ages out.",
    tags=["accounts"],
    responses=route_errors(404),
)
def disconnect_account(account_id: AccountId) -> AccountOut:
    caller = current_caller(router, "admin")
    return AccountOut.of(accounts.disconnect_account(services(), caller, account_id))
