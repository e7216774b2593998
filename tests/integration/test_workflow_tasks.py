"""The state machine's tasks: thin wrappers that refuse disconnected accounts and record validation."""

import pytest

from skylight.handlers.workflow import tasks
from tests.support import (
    LambdaContext,
    set_trust_policy,
    trust_policy,
)


def payload(account_id, tenant="tenant-a"):
    return {"tenant_id": tenant, "account_id": account_id, "trigger": "connect"}


def test_begin_task_takes_the_crawl_lock_and_passes_identifiers_on(connected):
    account, _ = connected
    result = tasks.begin_crawl({"workflow": payload(account["id"])}, LambdaContext())
    assert result == payload(account["id"]) | {
        "provider": "aws",
        "crawl_id": result["crawl_id"],
        "already_running": False,
    }
    again = tasks.begin_crawl({"workflow": payload(account["id"])}, LambdaContext())
    assert (again["crawl_id"], again["already_running"]) == (result["crawl_id"], True)


def test_begin_task_refuses_a_disconnected_or_foreign_account(api, connected):
    account, _ = connected
    with pytest.raises(tasks.AccountDisconnected):
        tasks.begin_crawl({"workflow": payload(account["id"], tenant="tenant-b")}, LambdaContext())
    api("DELETE", f"/v1/accounts/{account['id']}")
    with pytest.raises(tasks.AccountDisconnected):
        tasks.begin_crawl({"workflow": payload(account["id"])}, LambdaContext())
    with pytest.raises(tasks.AccountDisconnected):
        tasks.validate_account(payload(account["id"]), LambdaContext())


def test_validate_task_records_the_outcome_on_the_account(api, connected):
    account, role = connected
    assert tasks.validate_account(payload(account["id"]), LambdaContext()) == {
        "tenant_id": "tenant-a",
        "account_id": account["id"],
        "result": "connected",
        "status": "connected",
    }
    set_trust_policy(role, trust_policy(external_id=None))
    result = tasks.validate_account(payload(account["id"]), LambdaContext())
    assert (result["result"], result["status"]) == ("insecure_trust_policy", "failing")
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["last_validation_result"] == "insecure_trust_policy"


def test_malformed_workflow_input_fails_loudly():
    with pytest.raises(ValueError):
        tasks.begin_crawl({"account_id": "x"}, LambdaContext())
