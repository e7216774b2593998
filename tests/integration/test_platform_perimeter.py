"""The platform principal never reaches the platform's own estate: no role of the platform account,
and by default none of an account in the platform's own AWS Organization (allowOwnOrganization)."""

import json

import pytest

from infra.platform_policy import platform_principal_policy
from skylight.providers.aws.gateway import AwsCallError, Boto3AwsGateway
from tests.integration.conftest import PLATFORM, SESSION, connect_body, external_id_of, stored_items
from tests.support import PLATFORM_PRINCIPAL_ARN, create_customer_role, trust_policy


def organization_member() -> str:
    """An account of the platform's own organization (the platform account manages it)."""
    organizations = SESSION.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="shared-services", Email="ops@example.com")
    return str(created["CreateAccountStatus"]["AccountId"])


def allow_own_organization() -> None:
    """What `-c allowOwnOrganization=true` deploys: the same policy without the organization deny."""
    policy = platform_principal_policy("aws", PLATFORM, allow_own_organization=True)
    SESSION.client("iam").put_role_policy(
        RoleName="Skylight-platform-principal",
        PolicyName="AssumeCustomerRoles",
        PolicyDocument=json.dumps(policy),
    )


def assert_refused_by_the_platform_policy(status, body):
    assert (status, body["error"]["code"]) == (422, "access_denied"), body
    message = body["error"]["provider_error"]["message"]
    assert "Skylight-platform-principal" in message
    assert "with an explicit deny in an identity-based policy" in message


def test_a_role_in_the_platforms_organization_is_refused_by_default(api):
    member = organization_member()
    role = create_customer_role(member, "Skylight", trust_policy(external_id=external_id_of(api)))

    status, body = api("POST", "/v1/accounts", connect_body(role.arn))

    assert_refused_by_the_platform_policy(status, body)
    assert [item for item in stored_items() if item["pk"]["S"].startswith("ACCOUNT")] == []


def test_a_role_in_the_platforms_organization_connects_with_allow_own_organization(api):
    member = organization_member()
    role = create_customer_role(member, "Skylight", trust_policy(external_id=external_id_of(api)))
    allow_own_organization()

    status, account = api("POST", "/v1/accounts", connect_body(role.arn))

    assert status == 201, account
    assert account["provider_account_id"] == member


@pytest.mark.parametrize("own_organization_allowed", [False, True])
def test_a_role_of_the_platform_account_is_refused_either_way(api, own_organization_allowed):
    organization_member()  # the platform account manages an organization, as most do
    if own_organization_allowed:
        allow_own_organization()
    role = create_customer_role(PLATFORM, "TrustsThePrincipal", trust_policy(external_id=external_id_of(api)))

    status, body = api("POST", "/v1/accounts", connect_body(role.arn))

    # Skylight refuses before asking STS; behind that check, the principal's own policy denies too.
    assert (status, body["error"]["code"]) == (422, "access_denied")
    assert "platform's own AWS account" in body["error"]["provider_error"]["message"]
    with pytest.raises(AwsCallError) as error:
        Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1").assume_role(role.arn, None, "perimeter-test")
    assert error.value.code == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in error.value.message


def test_a_role_outside_the_organization_still_connects(api):
    organization_member()
    role = create_customer_role("111111111111", "Skylight", trust_policy(external_id=external_id_of(api)))

    status, account = api("POST", "/v1/accounts", connect_body(role.arn))

    assert status == 201, account
