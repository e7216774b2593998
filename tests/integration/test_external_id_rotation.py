"""External ID rotation: both IDs work during the overlap; the old one retires once nobody needs it."""

from skylight.handlers import dependencies
from skylight.logic.tenants import tenant_context
from tests.integration.conftest import aws_provider, connect_body, external_id_of, stored_account
from tests.support import (
    CUSTOMER_ACCOUNT,
    account_client,
    create_customer_role,
    set_trust_policy,
    trust_policy,
)

ROTATE = "/v1/onboarding/aws/external-id/rotate"
COMPLETE = "/v1/onboarding/aws/external-id/complete"


def trusting(*external_ids):
    policy = trust_policy(external_id="x")
    policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = list(external_ids)
    return policy


def test_rotation_overlap_and_completion(api, connected):
    account, role = connected
    old_id = external_id_of(api)

    status, kit = api("POST", ROTATE)
    assert status == 200
    new_id = kit["external_id"]
    assert new_id != old_id
    assert kit["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == [
        new_id,
        old_id,
    ]
    rotation = kit["external_id_rotation"]
    assert (rotation["in_progress"], rotation["generation"]) == (True, 2)
    assert rotation["accounts_on_previous"] == [{"id": account["id"], "name": account["name"]}]

    # The role still trusts only the old ID: it keeps working, and says which ID it works with.
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (status, result["result"], result["account"]["external_id_generation"]) == (200, "connected", 1)
    assert "previous External ID" in result["steps"][1]["message"]
    health = api("GET", f"/v1/accounts/{account['id']}/health")[1]
    assert health["external_id"] == {"generation": 1, "current": False}

    # Completing now would cut it off.
    status, body = api("POST", COMPLETE)
    assert (status, body["error"]["code"]) == (409, "external_id_in_use")
    assert body["error"]["accounts"] == [{"id": account["id"], "name": account["name"]}]

    # The tenant adds the new ID (as the kit shows); completing re-tests it and retires the old one.
    set_trust_policy(role, trusting(new_id, old_id))
    status, done = api("POST", COMPLETE)
    assert status == 200, done
    assert done["external_id_rotation"] == {
        "in_progress": False,
        "generation": 2,
        "started_at": None,
        "accounts_on_previous": [],
    }
    assert done["cut_off_accounts"] == []
    assert done["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == new_id
    assert api("GET", f"/v1/accounts/{account['id']}")[1]["external_id_generation"] == 2

    # The old ID no longer works, even for a role that still trusts only it.
    set_trust_policy(role, trust_policy(external_id=old_id))
    assert api("POST", f"/v1/accounts/{account['id']}/test")[1]["result"] == "access_denied"


def test_forced_completion_cuts_off_the_accounts_that_did_not_move(api, connected):
    account, _ = connected
    api("POST", ROTATE)
    status, done = api("POST", COMPLETE, query={"force": "true"})
    assert status == 200
    assert done["cut_off_accounts"] == [{"id": account["id"], "name": account["name"]}]
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (result["result"], result["account"]["status"]) == ("access_denied", "failing")


def test_the_crawler_uses_the_id_each_account_works_with(api, connected):
    account, role = connected
    old_id = external_id_of(api)
    new_id = api("POST", ROTATE)[1]["external_id"]
    context = tenant_context(dependencies.services(), "tenant-a", "aws")
    # Not moved yet: only the previous ID lets the platform in.
    assert aws_provider().account_credentials(stored_account(account["id"]), context).session_token

    set_trust_policy(role, trust_policy(external_id=new_id))
    api("POST", f"/v1/accounts/{account['id']}/test")
    assert stored_account(account["id"]).provider_state["external_id_generation"] == 2
    assert aws_provider().account_credentials(stored_account(account["id"]), context).session_token
    assert old_id != new_id


def test_a_role_connected_during_the_overlap_may_trust_either_id(api):
    old_id = external_id_of(api)
    new_id = api("POST", ROTATE)[1]["external_id"]
    for name, external_id, generation in (("Old", old_id, 1), ("New", new_id, 2)):
        role = create_customer_role(CUSTOMER_ACCOUNT, name, trust_policy(external_id=external_id))
        status, account = api("POST", "/v1/accounts", connect_body(role.arn, name=name))
        assert (status, account["external_id_generation"]) == (201, generation)


def test_one_rotation_at_a_time_and_nothing_to_complete_without_one(api):
    status, body = api("POST", COMPLETE)
    assert (status, body["error"]["code"]) == (409, "no_external_id_rotation")
    assert api("POST", ROTATE)[0] == 200
    status, body = api("POST", ROTATE)
    assert (status, body["error"]["code"]) == (409, "external_id_rotation_in_progress")


def test_only_admins_rotate_and_tenants_rotate_alone(api):
    assert api("POST", ROTATE, roles=("viewer",))[0] == 403
    assert api("POST", COMPLETE, roles=("viewer",))[0] == 403
    before_b = external_id_of(api, tenant="tenant-b")
    api("POST", ROTATE)
    assert external_id_of(api, tenant="tenant-b") == before_b
    assert (
        api("GET", "/v1/onboarding/aws", tenant="tenant-b")[1]["external_id_rotation"]["in_progress"] is False
    )


def test_completion_retests_every_account_still_on_the_old_id(api):
    old_id = external_id_of(api)
    roles = [
        create_customer_role(CUSTOMER_ACCOUNT, f"Role{n}", trust_policy(external_id=old_id)) for n in range(3)
    ]
    ids = [api("POST", "/v1/accounts", connect_body(r.arn, name=r.name))[1]["id"] for r in roles]
    new_id = api("POST", ROTATE)[1]["external_id"]
    for role in roles[:2]:
        set_trust_policy(role, trusting(new_id, old_id))
    status, body = api("POST", COMPLETE)
    assert (status, [a["name"] for a in body["error"]["accounts"]]) == (409, ["Role2"])
    set_trust_policy(roles[2], trusting(new_id))
    assert api("POST", COMPLETE)[0] == 200
    assert [api("GET", f"/v1/accounts/{i}")[1]["external_id_generation"] for i in ids] == [2, 2, 2]


def lose_permissions(role):
    account_client("iam", role.account_id).delete_role_policy(RoleName=role.name, PolicyName="skylight")


def test_a_failing_account_still_on_the_old_id_holds_completion_up(api, connected):
    # Failing for another reason (its permissions were removed), but its role still lets the platform
    # in with the old ID only: retiring that ID would cut it off for good, fixed permissions or not.
    account, role = connected
    lose_permissions(role)
    api("POST", ROTATE)
    status, result = api("POST", f"/v1/accounts/{account['id']}/test")
    assert (result["result"], result["account"]["status"]) == ("permission_denied", "failing")
    assert result["account"]["external_id_generation"] == 1

    status, body = api("POST", COMPLETE)
    assert (status, body["error"]["code"]) == (409, "external_id_in_use")
    assert body["error"]["accounts"] == [{"id": account["id"], "name": account["name"]}]

    status, done = api("POST", COMPLETE, query={"force": "true"})
    assert status == 200
    assert done["cut_off_accounts"] == [{"id": account["id"], "name": account["name"]}]


def test_a_failing_account_that_accepts_the_new_id_does_not_hold_completion_up(api, connected):
    # AssumeRole with the new ID worked; only the permission checks after it failed.
    account, role = connected
    old_id = external_id_of(api)
    new_id = api("POST", ROTATE)[1]["external_id"]
    lose_permissions(role)
    set_trust_policy(role, trusting(new_id, old_id))

    status, done = api("POST", COMPLETE)
    assert (status, done["cut_off_accounts"]) == (200, [])
    stored = api("GET", f"/v1/accounts/{account['id']}")[1]
    assert (stored["status"], stored["external_id_generation"]) == ("failing", 2)
