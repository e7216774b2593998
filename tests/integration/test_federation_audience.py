"""Each tenant's federation audience: made once, kept, never shared, and untouched by the rest of the
tenant's life (External ID rotations rewrite the tenant item)."""

from concurrent.futures import ThreadPoolExecutor

from skylight.handlers import dependencies
from skylight.logic.federation import AUDIENCE_PATTERN, federation_audience
from tests.integration.conftest import SESSION, TABLE, external_id_of, reset_caches

ROTATE = "/v1/onboarding/aws/external-id/rotate"
COMPLETE = "/v1/onboarding/aws/external-id/complete"


def stored_audience(tenant: str) -> str | None:
    item = SESSION.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": "TENANT"}}, ConsistentRead=True
    )["Item"]
    return item.get("federation_audience", {}).get("S")


def test_an_audience_is_made_once_per_tenant_and_kept(api):
    external_id_of(api)  # the tenant exists, as written before audiences did: without one
    assert stored_audience("tenant-a") is None

    first = federation_audience(dependencies.services(), "tenant-a")
    reset_caches()  # a new container
    again = federation_audience(dependencies.services(), "tenant-a")

    assert AUDIENCE_PATTERN.fullmatch(first)
    assert again == first == stored_audience("tenant-a")
    assert federation_audience(dependencies.services(), "tenant-b") != first


def test_concurrent_first_uses_agree_on_one_audience(api):
    external_id_of(api)
    services = dependencies.services()

    with ThreadPoolExecutor(max_workers=8) as pool:
        audiences = set(pool.map(lambda _: federation_audience(services, "tenant-a"), range(16)))

    assert audiences == {stored_audience("tenant-a")}


def test_an_external_id_rotation_keeps_the_audience(api):
    audience = federation_audience(dependencies.services(), "tenant-a")

    assert api("POST", ROTATE)[0] == 200
    assert api("POST", COMPLETE, {"force": True})[0] == 200

    assert stored_audience("tenant-a") == audience
    reset_caches()
    assert federation_audience(dependencies.services(), "tenant-a") == audience
