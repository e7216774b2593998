"""/v1/accounts: connect, list, read, rename, test, replace credentials, disconnect and restore accounts."""

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
    ReplaceCredentialsRequest,
    RestoreAccountRequest,
    TestResultOut,
    UpdateAccountRequest,
)
from skylight.models.domain import Account

router = Router()


def _out(account: Account) -> AccountOut:
    return AccountOut.of(account, accounts.credential_age(services(), account))


@router.post(
    "/v1/accounts",
    summary="Connect an account",
    description="Validates the connection synchronously and stores it only when it works. Access keys are "
    "envelope-encrypted in the vault; root-user keys are refused.",
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
        request.credentials.as_dict(),
        request.crawl_interval_minutes,
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_out(account))


@router.get("/v1/accounts", summary="List accounts", tags=["accounts"], responses=route_errors())
def list_accounts(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AccountListOut:
    caller = current_caller(router, "viewer")
    page = accounts.list_accounts(services(), caller, limit, cursor)
    return AccountListOut(items=[_out(a) for a in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/accounts/<account_id>",
    summary="Read an account, with its inventory summary and health",
    tags=["accounts"],
    responses=route_errors(404),
)
def get_account(account_id: AccountId) -> AccountDetailOut:
    caller = current_caller(router, "viewer")
    account, overview = inventory.account_overview(services(), caller, account_id)
    return AccountDetailOut.model_validate({**_out(account).model_dump(), **overview})


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
    return _out(account)


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
        account=_out(account),
    )


@router.delete(
    "/v1/accounts/<account_id>",
    summary="Disconnect an account",
    description="Calls stop at once and stored secrets are destroyed (crypto-shredding); the account and "
    "its history stay readable until `retained_until`, then age out.",
    tags=["accounts"],
    responses=route_errors(404),
)
def disconnect_account(account_id: AccountId) -> AccountOut:
    caller = current_caller(router, "admin")
    return _out(accounts.disconnect_account(services(), caller, account_id))


@router.put(
    "/v1/accounts/<account_id>/credentials",
    summary="Replace an account's credentials",
    description="The new credentials are validated first and take over only when they work; if they fail "
    "(422 with the diagnosis) the old ones stay in use.",
    tags=["accounts"],
    responses=route_errors(404, 409, 422, 503),
)
def replace_credentials(
    account_id: AccountId, request: Annotated[ReplaceCredentialsRequest, Body()]
) -> AccountOut:
    caller = current_caller(router, "admin")
    credentials = request.credentials.as_dict()
    return _out(accounts.replace_credentials(services(), caller, account_id, credentials))


@router.post(
    "/v1/accounts/<account_id>/restore",
    summary="Restore a disconnected account",
    description="Within its retention window: validates again (a role as it is; an access key needs new "
    "`credentials`, the old ones were destroyed) and brings the account back with its history.",
    tags=["accounts"],
    responses=route_errors(404, 409, 422, 503),
)
def restore_account(
    account_id: AccountId, request: Annotated[RestoreAccountRequest | None, Body()] = None
) -> AccountOut:
    caller = current_caller(router, "admin")
    credentials = request.credentials.as_dict() if request and request.credentials else None
    return _out(accounts.restore_account(services(), caller, account_id, credentials))
