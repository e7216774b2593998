"""What the contract run accepts that a schema cannot say, each case narrowly and with its reason.

Loaded by schemathesis (SCHEMATHESIS_HOOKS) in its own virtualenv; it never imports the project.
Every other failure of every check fails the run.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import schemathesis

#: Codes of a refused connection: well-formed credentials that the cloud does not let in.
REFUSED_CONNECTION = frozenset(
    {
        "access_denied",
        "insecure_trust_policy",
        "permission_denied",
        "identity_mismatch",
        "partition_mismatch",
        "invalid_credentials",
        "root_credentials",
    }
)
CREDENTIAL_ROUTES = frozenset(
    {"/v1/accounts", "/v1/accounts/{account_id}/credentials", "/v1/accounts/{account_id}/restore"}
)
#: Fields whose validity depends on the account, not on the request's shape.
ACCOUNT_STATE_FIELDS = frozenset({"credentials", "credentials.type"})

_lock = threading.Lock()
_retained: set[str] = set()  # accounts disconnected by this run, readable until their retention ends


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Remember the accounts the run disconnected, as the API said: disconnected and retained."""
    if case.method.upper() != "DELETE" or response.status_code != 200:
        return
    body = _json(response)
    if body.get("status") == "disconnected" and body.get("retained_until"):
        with _lock:
            _retained.add(str(body.get("id")))


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False drops the failure: only the cases below, where the API is right and the check cannot know."""
    kind = type(failure).__name__
    if kind == "RejectedPositiveData":
        return not _refused_by_design(case, response)
    if kind == "UseAfterFree":
        # DELETE disconnects: the account and its history stay readable (and restorable) for the
        # retention window, by design; only reads of accounts the API said it retains are let through.
        account_id = (case.path_parameters or {}).get("account_id")
        with _lock:
            retained = account_id in _retained
        return not (retained and case.method.upper() == "GET")
    return True


def _refused_by_design(case: Any, response: Any) -> bool:
    error = _json(response).get("error") or {}
    fields = {str(f.get("field")) for f in error.get("fields") or [] if isinstance(f, dict)}
    if response.status_code == 400 and error.get("code") == "invalid_request" and fields:
        # A cursor is valid only if this API signed it for this listing: a generated one is a forgery.
        if fields == {"cursor"}:
            return True
        # New credentials must be of the account's own type (and a key account's restore needs them).
        if case.path in CREDENTIAL_ROUTES and fields <= ACCOUNT_STATE_FIELDS:
            return True
    # Well-formed credentials of a role or key that does not exist, or does not trust the platform.
    return (
        response.status_code == 422
        and case.path in CREDENTIAL_ROUTES
        and error.get("code") in REFUSED_CONNECTION
    )


def _json(response: Any) -> dict[str, Any]:
    try:
        document = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
