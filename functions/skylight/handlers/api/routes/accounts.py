"""/v1/accounts: connect, list, read, rename, test, replace credentials, disconnect and restore accounts."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from skylight.handlers.api.routes.common import (
    AccountId,
    Cursor,
    Limit,
    account_links,
    current_caller,
    documented,
    ok,
)
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

# Where a client goes from an account it was given: every operation on it (followed by schemathesis).
CONNECTED_LINKS = account_links(
    "get_account",
    "update_account",
    "test_account",
    "disconnect_account",
    "replace_credentials",
    "account_health",
    "start_crawl",
    "list_crawls",
    "list_inventory",
)


def _out(account: Account) -> AccountOut:
    return AccountOut.of(account, accounts.credential_age(services(), account))


@router.post(
    "/v1/accounts",
    summary="Connect an account",
    description="Validates the connection synchronously and stores it only when it works. Access keys are "
    "envelope-encrypted in the vault; root-user keys are refused.",
    tags=["accounts"],
    operation_id="connect_account",
    responses=documented(
        ok("connected: the account, with the validation `steps` and its `permissions`", 201, CONNECTED_LINKS),
        400,
        422,
        429,
        500,
        503,
        conflicts="already_connected: the same role (or key) with the same access is connected as "
        "`account_id`",
    ),
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


@router.get(
    "/v1/accounts",
    summary="List accounts",
    tags=["accounts"],
    operation_id="list_accounts",
    responses=documented(ok("a page of the tenant's accounts"), 400),
)
def list_accounts(limit: Limit = 50, cursor: Cursor = None) -> AccountListOut:
    caller = current_caller(router, "viewer")
    page = accounts.list_accounts(services(), caller, limit, cursor)
    return AccountListOut(items=[_out(a) for a in page.items], next_cursor=page.next_cursor)


@router.get(
    "/v1/accounts/<account_id>",
    summary="Read an account, with its inventory summary and health",
    tags=["accounts"],
    operation_id="get_account",
    responses=documented(ok("the account"), 400, 404),
)
def get_account(account_id: AccountId) -> AccountDetailOut:
    caller = current_caller(router, "viewer")
    account, overview = inventory.account_overview(services(), caller, account_id)
    return AccountDetailOut.model_validate({**_out(account).model_dump(), **overview})


@router.patch(
    "/v1/accounts/<account_id>",
    summary="Rename an account or change its crawl schedule",
    tags=["accounts"],
    operation_id="update_account",
    responses=documented(
        ok("the account as updated"), 400, 404, conflicts="account_disconnected, or conflict: try again"
    ),
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
    operation_id="test_account",
    responses=documented(
        ok("the outcome (`connected` or the failing check's code), its steps and the account"),
        400,
        404,
        429,
        500,
        503,
        conflicts="account_disconnected, or conflict: try again",
    ),
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
    operation_id="disconnect_account",
    responses=documented(
        ok("the account, disconnected (also when it already was)", links=account_links("restore_account")),
        400,
        404,
        conflicts="conflict: the account kept changing meanwhile; try again",
    ),
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
    operation_id="replace_credentials",
    responses=documented(
        ok("the account on its new credentials"),
        400,
        404,
        422,
        429,
        500,
        503,
        conflicts="account_disconnected, already_connected (another account uses these credentials), or "
        "conflict: try again",
    ),
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
    operation_id="restore_account",
    responses=documented(
        ok("the account, connected again"),
        400,
        404,
        422,
        429,
        500,
        503,
        conflicts="account_not_disconnected, already_connected (another account uses these credentials), "
        "or conflict: try again",
    ),
)
def restore_account(
    account_id: AccountId, request: Annotated[RestoreAccountRequest | None, Body()] = None
) -> AccountOut:
    caller = current_caller(router, "admin")
    credentials = request.credentials.as_dict() if request and request.credentials else None
    return _out(accounts.restore_account(services(), caller, account_id, credentials))
