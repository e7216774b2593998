"""What only one provider understands is that provider's state, and items stored before that was so
(External IDs on the tenant item, the identity ARN on the account item) still read the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pynamodb.attributes import UTCDateTimeAttribute

from skylight.dal.dynamodb import ACCOUNT_PREFIX, TENANT_SK, tenant_pk
from skylight.handlers import dependencies
from skylight.logic.tenants import tenant_of
from tests.integration.conftest import SESSION, TABLE, connect_body
from tests.support import CUSTOMER_ACCOUNT, create_customer_role, trust_policy

LEGACY_ID = "skylight-" + "L" * 32
OLDER_ID = "skylight-" + "O" * 32
STARTED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _store_tenant_as_before(tenant_id: str) -> None:
    """The tenant item as earlier versions wrote it: the External IDs as top-level attributes."""
    when = UTCDateTimeAttribute().serialize(STARTED)
    SESSION.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": tenant_pk(tenant_id)},
            "sk": {"S": TENANT_SK},
            "created_at": {"S": when},
            "external_id": {"S": LEGACY_ID},
            "external_id_generation": {"N": "2"},
            "previous_external_id": {"S": OLDER_ID},
            "rotation_started_at": {"S": when},
        },
    )


def _tenant_item(tenant_id: str) -> dict:
    return SESSION.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": tenant_pk(tenant_id)}, "sk": {"S": TENANT_SK}}, ConsistentRead=True
    )["Item"]


def test_a_tenant_stored_before_providers_owned_their_state_keeps_its_external_ids(api):
    _store_tenant_as_before("tenant-a")

    status, kit = api("GET", "/v1/onboarding/aws")

    assert status == 200
    assert kit["external_id"] == LEGACY_ID
    rotation = kit["external_id_rotation"]
    assert (rotation["in_progress"], rotation["generation"]) == (True, 2)
    assert datetime.fromisoformat(rotation["started_at"]) == STARTED
    condition = kit["trust_policy"]["Statement"][0]["Condition"]
    assert sorted(condition["StringEquals"]["sts:ExternalId"]) == sorted([LEGACY_ID, OLDER_ID])


def test_the_first_save_of_a_legacy_tenant_moves_its_state_and_drops_the_old_attributes(api):
    _store_tenant_as_before("tenant-a")
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=LEGACY_ID))
    assert api("POST", "/v1/accounts", connect_body(role.arn))[0] == 201

    status, done = api("POST", "/v1/onboarding/aws/external-id/complete")

    assert (status, done["external_id"], done["external_id_rotation"]["in_progress"]) == (
        200,
        LEGACY_ID,
        False,
    )
    item = _tenant_item("tenant-a")
    assert not {"external_id", "external_id_generation", "previous_external_id", "rotation_started_at"} & set(
        item
    )
    assert tenant_of(dependencies.services(), "tenant-a").state_of("aws")["external_id"] == LEGACY_ID
    assert api("GET", "/v1/onboarding/aws")[1]["external_id_rotation"]["generation"] == 2


def test_an_account_stored_before_providers_owned_their_state_shows_the_same_identity(api, connected):
    account, _ = connected
    key = {"pk": {"S": tenant_pk("tenant-a")}, "sk": {"S": ACCOUNT_PREFIX + account["id"]}}
    # As earlier versions stored it: the identity ARN and the External ID generation at the top level.
    SESSION.client("dynamodb").update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET identity_arn = :arn, external_id_generation = :gen REMOVE provider_state",
        ExpressionAttributeValues={":arn": {"S": account["identity_arn"]}, ":gen": {"N": "1"}},
    )

    shown = api("GET", f"/v1/accounts/{account['id']}")[1]

    assert shown["identity_arn"] == account["identity_arn"]
    assert shown["external_id_generation"] == 1
    assert shown["identity"] == {
        "provider": "aws",
        "identity_arn": account["identity_arn"],
        "external_id_generation": 1,
    }
    assert api("POST", f"/v1/accounts/{account['id']}/test")[0] == 200


def test_a_tenants_first_uses_of_aws_at_once_agree_on_one_external_id(api):
    services = dependencies.services()

    with ThreadPoolExecutor(max_workers=6) as pool:
        tenants = list(pool.map(lambda _: tenant_of(services, "tenant-new", "aws"), range(6)))

    assert len({tenant.state_of("aws")["external_id"] for tenant in tenants}) == 1
    assert tenant_of(services, "tenant-new").state_of("aws") == tenants[0].state_of("aws")


def test_a_provider_without_tenant_state_stores_none(api):
    services = dependencies.services()
    aws = services.provider
    fake = type("NoState", (), {"new_tenant_state": staticmethod(dict)})()
    services.provider = lambda name: fake if name == "stateless" else aws(name)

    tenant = tenant_of(services, "tenant-c", "stateless")

    assert tenant.provider_state == {}
    assert "provider_state" not in _tenant_item("tenant-c")
