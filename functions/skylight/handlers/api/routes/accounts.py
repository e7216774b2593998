"""/v1/accounts: connect, list, read, rename, test, replace credentials, disconnect and restore accounts."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from skylight.handlers.api.routes.common import current_caller, error_responses
from skylight.handlers.dependencies import services
from skylight.logic import accounts
from skylight.models.api import (
    AccountHealthOut,
    AccountListOut,
    AccountOut,
    ConnectAccountRequest,
    RenameAccountRequest,
    ReplaceCredentialsRequest,
    RestoreAccountRequest,
    TestResultOut,
)
from skylight.models.domain import Account

router = Router()

AccountId = Annotated[str, Path(min_length=1, max_length=64, description="The account's id")]


def _errors(*codes: int) -> dict[int, OpenAPIResponse]:
    return error_responses(400, 401, 403, *codes)


def _out(account: Account) -> AccountOut:
    return AccountOut.of(account, accounts.credential_age(services(), account))


@router.post(
    "/v1/accounts",
    summary="Connect an account",
    description="Validates the connection synchronously and stores it only when it works. Access keys are "
    "envelope-encrypted in the vault; root-user keys are refused.",
    tags=["accounts"],
    responses={201: {"description": "connected"}, **_errors(409, 422, 503)},
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
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_out(account))


@router.get("/v1/accounts", summary="List accounts", tags=["accounts"], responses=_errors())
def list_accounts(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AccountListOut:
    caller = current_caller(router, "viewer")
    page = accounts.list_accounts(services(), caller, limit, cursor)
    return AccountListOut(items=[_out(a) for a in page.items], next_cursor=page.next_cursor)


@router.get("/v1/accounts/<account_id>", summary="Read an account", tags=["accounts"], responses=_errors(404))
def get_account(account_id: AccountId) -> AccountOut:
    caller = current_caller(router, "viewer")
    return _out(accounts.get_account(services(), caller, account_id))


@router.patch(
    "/v1/accounts/<account_id>", summary="Rename an account", tags=["accounts"], responses=_errors(404, 409)
)
def rename_account(account_id: AccountId, request: Annotated[RenameAccountRequest, Body()]) -> AccountOut:
    caller = current_caller(router, "admin")
    return _out(accounts.rename_account(services(), caller, account_id, request.name))


@router.post(
    "/v1/accounts/<account_id>/test",
    summary="Test a connection again",
    description="Re-runs every validation step now and records the outcome on the account.",
    tags=["accounts"],
    responses=_errors(404, 409),
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
    responses=_errors(404),
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
    responses=_errors(404, 409, 422, 503),
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
    responses=_errors(404, 409, 422, 503),
)
def restore_account(
    account_id: AccountId, request: Annotated[RestoreAccountRequest | None, Body()] = None
) -> AccountOut:
    caller = current_caller(router, "admin")
    credentials = request.credentials.as_dict() if request and request.credentials else None
    return _out(accounts.restore_account(services(), caller, account_id, credentials))


@router.get(
    "/v1/accounts/<account_id>/health",
    summary="An account's health",
    description="Validation status, credential age and the External ID generation in use, with warnings.",
    tags=["accounts"],
    responses=_errors(404),
)
def account_health(account_id: AccountId) -> AccountHealthOut:
    caller = current_caller(router, "viewer")
    return AccountHealthOut.model_validate(accounts.account_health(services(), caller, account_id))
