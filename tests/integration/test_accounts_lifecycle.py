"""Listing, reading, renaming, re-testing and disconnecting accounts."""

from datetime import UTC, datetime, timedelta

import pytest

from skylight.handlers import dependencies
from tests.integration.conftest import SESSION, connect_body, external_id_of
from tests.support import CUSTOMER_ACCOUNT, create_customer_role, set_trust_policy, trust_policy


def test_listing_is_paginated_with_opaque_cursors(api):
    trust = trust_policy(external_id=external_id_of(api))
    for n in range(3):
        role = create_customer_role(CUSTOMER_ACCOUNT, f"Role{n}", trust)
        assert api("POST", "/v1/accounts", connect_body(role.arn, name=f"acct {n}"))[0] == 201
    status, first = api("GET", "/v1/accounts", query={"limit": "2"})
    assert status == 200
    assert len(first["items"]) == 2 and first["next_cursor"]
    status, second = api("GET", "/v1/accounts", query={"limit": "2", "cursor": first["next_cursor"]})
    assert status == 200
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    names = {a["name"] for a in first["items"] + second["items"]}
    assert names == {"acct 0", "acct 1", "acct 2"}


@pytest.mark.parametrize("cursor", ["not-base64!", "eyJ4IjoxfQ", "eyJhZnRlciI6IlRFTkFOVCN4In0"])
def test_a_forged_cursor_is_a_400(api, cursor):
    status, body = api("GET", "/v1/accounts", query={"cursor": cursor})
    assert (status, body["error"]["code"]) == (400, "invalid_request")
    assert body["error"]["fields"][0]["field"] == "cursor"


def test_rename_changes_only_the_name(api, connected):
    account, _ = connected
    status, renamed = api("PATCH", f"/v1/accounts/{account['id']}", {"name": "Production (EU)"})
    assert status == 200
    assert renamed["name"] == "Production (EU)"
    assert renamed["status"] == "connected" and renamed["connected_at"] == account["connected_at"]


def test_test_reruns_validation_and_updates_the_status(api, connected):
    account, role = connected
    set_trust_policy(role, trust_policy(external_id="not-the-tenants"))
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert status == 200
    assert result["result"] == "access_denied"
    assert result["account"]["status"] == "failing"
    assert [s["outcome"] for s in result["steps"]][:2] == ["passed", "failed"]

    set_trust_policy(role, trust_policy(external_id=external_id_of(api)))
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (status, result["result"], result["account"]["status"]) == (200, "connected", "connected")


def test_disconnect_keeps_the_account_readable_for_30_days_and_refuses_further_calls(api, connected):
    account, role = connected
    before = datetime.now(UTC)
    status, gone = api("DELETE", f"/v1/accounts/{account['id']}")
    assert status == 200
    assert gone["status"] == "disconnected"
    retained_until = datetime.fromisoformat(gone["retained_until"])
    assert before + timedelta(days=30) <= retained_until <= datetime.now(UTC) + timedelta(days=30)
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["status"] == "disconnected"
    assert [a["id"] for a in api("GET", "/v1/accounts")[1]["items"]] == [account["id"]]

    for method, path, body in [
        ("POST", f"/v1/accounts/{account['id']}/test", None),
        ("PATCH", f"/v1/accounts/{account['id']}", {"name": "x"}),
    ]:
        status, error = api(method, path, body)
        assert (status, error["error"]["code"]) == (409, "account_disconnected")
    # Disconnecting again changes nothing.
    assert api("DELETE", f"/v1/accounts/{account['id']}") == (200, gone)
    # The role may be connected again as a new account.
    assert api("POST", "/v1/accounts", connect_body(role.arn))[0] == 201


def test_after_the_retention_window_the_account_is_gone_even_before_ttl_deletes_it(api, connected):
    account, _ = connected
    assert api("DELETE", f"/v1/accounts/{account['id']}")[0] == 200
    services = dependencies.services()
    services.clock = lambda: datetime.now(UTC) + timedelta(days=31)
    status, body = api("GET", f"/v1/accounts/{account['id']}")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert api("GET", "/v1/accounts")[1]["items"] == []


def test_a_disconnect_during_a_retest_wins_and_is_never_a_500(api, connected):
    from skylight.config import get_settings
    from skylight.providers.aws.gateway import Boto3AwsGateway
    from skylight.providers.aws.provider import AwsProvider
    from tests.support import PLATFORM_PRINCIPAL_ARN

    account, _ = connected
    path = f"/v1/accounts/{account['id']}"

    def disconnect_meanwhile(model, **_):
        if model.name == "GetCallerIdentity":
            assert api("DELETE", path)[0] == 200

    gateway = Boto3AwsGateway(
        PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=(("before-call", disconnect_meanwhile),)
    )
    provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
    dependencies.services().provider = lambda name: provider

    status, body = api("POST", f"{path}/test")
    assert (status, body["error"]["code"]) == (409, "account_disconnected")
    assert api("GET", path)[1]["status"] == "disconnected"


def test_a_stale_write_is_detected(api, connected):
    from skylight.dal.base import ConcurrentUpdate

    account, _ = connected
    services = dependencies.services()
    stale = services.accounts.get("tenant-a", account["id"], datetime.now(UTC))
    assert api("PATCH", f"/v1/accounts/{account['id']}", {"name": "renamed"})[0] == 200
    with pytest.raises(ConcurrentUpdate):
        services.accounts.update(stale.model_copy(update={"name": "lost update"}))
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["name"] == "renamed"


def test_an_interval_change_succeeds_when_a_disconnect_deletes_the_schedule_meanwhile(api, connected):

    # Given the account's schedule, deleted by a concurrent disconnect just before the update lands
    account, _ = connected
    scheduler = SESSION.client("scheduler")
    name, group = f"crawl-{account['id']}", "skylight-test-schedules"
    events = dependencies.services().schedules.client.meta.events

    def deleted_meanwhile(**_: object) -> None:
        scheduler.delete_schedule(Name=name, GroupName=group)

    events.register_first("before-call.scheduler.UpdateSchedule", deleted_meanwhile)
    try:
        # When the interval changes
        status, updated = api("PATCH", f"/v1/accounts/{account['id']}", {"crawl_interval_minutes": 30})
    finally:
        events.unregister("before-call.scheduler.UpdateSchedule", deleted_meanwhile)

    # Then the saved change is answered, not a 500; the next update makes the schedule again
    assert (status, updated["crawl_interval_minutes"]) == (200, 30)
    assert api("PATCH", f"/v1/accounts/{account['id']}", {"crawl_interval_minutes": 45})[0] == 200
    assert scheduler.get_schedule(Name=name, GroupName=group)["ScheduleExpression"] == "rate(45 minutes)"
