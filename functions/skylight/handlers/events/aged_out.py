"""DynamoDB stream consumer: when TTL removes an account item, purge what the account left behind.

The event source mapping only delivers REMOVE events made by DynamoDB's TTL process on `ACCOUNT#`
items (see infra/constructs/data.py); the checks here repeat that filter so a misconfigured mapping
can never purge an account someone deleted or updated by hand.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from skylight.handlers.dependencies import metrics_sink, services
from skylight.logic.inventory import purge_account_data
from skylight.models.metrics import ACCOUNTS_PURGED

logger = Logger()

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def aged_out_account(record: dict[str, Any]) -> tuple[str, str] | None:
    """(tenant id, account id) when the record is TTL removing an account item, else None."""
    identity = record.get("userIdentity") or {}
    if record.get("eventName") != "REMOVE" or identity.get("principalId") != TTL_PRINCIPAL:
        return None
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    pk, sk = (keys.get("pk") or {}).get("S", ""), (keys.get("sk") or {}).get("S", "")
    if not pk.startswith("TENANT#") or not sk.startswith("ACCOUNT#"):
        return None
    return pk.removeprefix("TENANT#"), sk.removeprefix("ACCOUNT#")


@logger.inject_lambda_context(log_event=False, clear_state=True)
def purge_aged_out_accounts(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    purged = 0
    for record in event.get("Records", []):
        account = aged_out_account(record)
        if account is not None:
            purge_account_data(services(), *account)
            purged += 1
    metrics_sink().record(ACCOUNTS_PURGED, purged)
    return {"purged": purged}
