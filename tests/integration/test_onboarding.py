"""GET /v1/onboarding/{provider}: the AWS kit has the External ID and all it takes to make the role."""

import re


def test_kit_has_a_stable_unguessable_external_id_per_tenant(api):
    status, kit = api("GET", "/v1/onboarding/aws")
    assert status == 200
    external_id = kit["external_id"]
    random_part = external_id.removeprefix("skylight-")
    # 32 URL-safe base64 characters carry 192 bits, above the 128 required.
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", random_part)
    assert re.fullmatch(r"[\w+=,.@:/-]{2,1224}", external_id)  # STS's ExternalId alphabet
    assert api("GET", "/v1/onboarding/aws")[1]["external_id"] == external_id
    assert api("GET", "/v1/onboarding/aws", tenant="tenant-b")[1]["external_id"] != external_id


def test_kit_names_the_platform_principal_and_renders_a_trust_policy_with_the_external_id(api):
    _, kit = api("GET", "/v1/onboarding/aws")
    principal = "arn:aws:iam::123456789012:role/Skylight-platform-principal"
    assert kit["platform_account_id"] == "123456789012"
    assert kit["platform_principal_arn"] == principal
    statement = kit["trust_policy"]["Statement"][0]
    assert statement["Principal"] == {"AWS": principal}
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == kit["external_id"]
    assert set(kit["permission_policies"]) == {"read_only", "read_write"}
    assert all(p["why"] for p in kit["permission_policies"].values())
    template = kit["templates"]["cloudformation"]["template"]
    assert template["Parameters"]["ExternalId"]["Default"] == kit["external_id"]
    assert kit["external_id"] in kit["templates"]["terraform"]["read_only"]


def test_the_external_id_is_a_secret_only_admins_see(api):
    status, body = api("GET", "/v1/onboarding/aws", roles=("viewer",))
    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert "external_id" not in str(body)


def test_no_verified_claims_is_unauthorized(api):
    status, body = api("GET", "/v1/onboarding/aws", tenant=None)
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_the_kit_is_the_providers_own_and_names_it(api):
    status, kit = api("GET", "/v1/onboarding/aws")
    assert (status, kit["provider"]) == (200, "aws")


def test_an_unknown_provider_is_a_bad_request_naming_the_field_and_stores_nothing(api):
    from tests.integration.conftest import stored_items

    before = stored_items()
    for path in ("/v1/onboarding/oracle", "/v1/onboarding/AWS", "/v1/onboarding/aws%20"):
        status, body = api("GET", path)
        assert (status, body["error"]["code"]) == (400, "invalid_request"), path
        assert [field["field"] for field in body["error"]["fields"]] == ["provider"], path
    assert stored_items() == before
