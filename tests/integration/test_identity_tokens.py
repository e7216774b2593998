"""Identity tokens (AWS outbound identity federation): only the platform principal mints them, for its
tenant's audience alone and five minutes at most, and they verify as GCP and Entra ID verify them.
The deployment's custom resource turns federation on and reports the issuer."""

import json
import time

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from local.emulator.outbound_federation import ca_bundle_path, issuer_of, minted_tokens
from local.stack import CustomResourceResponse
from skylight.handlers import dependencies
from skylight.handlers.deployment.outbound_federation import on_event
from skylight.logic.federation import federation_audience, identity_token
from skylight.providers.aws.gateway import AwsCallError, Boto3AwsGateway
from tests.integration.conftest import FUNCTIONS_ROLE_ARN, PLATFORM, SESSION
from tests.support import PLATFORM_PRINCIPAL_ARN, LambdaContext, verify_as_a_relying_party


@pytest.fixture
def federation(aws):
    """The account's outbound federation, turned on as the deployment does; its issuer."""
    with CustomResourceResponse() as receiver:
        on_event(
            {
                "RequestType": "Create",
                "ResponseURL": receiver.url,
                "StackId": f"arn:aws:cloudformation:us-east-1:{PLATFORM}:stack/Skylight/1",
                "RequestId": "r-1",
                "LogicalResourceId": "OutboundFederation",
                "ResourceType": "Custom::OutboundWebIdentityFederation",
            },
            LambdaContext(),
        )
        answer = receiver.answer(timeout_s=10)
    assert answer["Status"] == "SUCCESS", answer
    return answer["Data"]["Issuer"]


def test_the_deployment_turns_federation_on_and_reports_the_issuer(federation):
    assert federation == issuer_of(PLATFORM)
    info = SESSION.client("iam").get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (federation, True)


def test_a_second_deployment_finds_it_on_and_reports_the_same_issuer(federation, aws):
    with CustomResourceResponse() as receiver:
        event = {
            "RequestType": "Update",
            "ResponseURL": receiver.url,
            "StackId": "s",
            "RequestId": "r-2",
            "LogicalResourceId": "OutboundFederation",
            "PhysicalResourceId": "outbound-web-identity-federation",
        }
        on_event(event, LambdaContext())
        answer = receiver.answer(timeout_s=10)

    assert (answer["Status"], answer["Data"]["Issuer"]) == ("SUCCESS", federation)


def test_a_token_carries_its_tenants_audience_alone_and_verifies_by_discovery(federation):
    services = dependencies.services()
    audience = federation_audience(services, "tenant-a")

    token = identity_token(services, "tenant-a")

    claims = verify_as_a_relying_party(token, audience, federation, ca_bundle_path())
    assert claims["sub"] == PLATFORM_PRINCIPAL_ARN
    assert claims["aud"] in (audience, [audience])
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["exp"] > time.time()
    other = federation_audience(services, "tenant-b")
    with pytest.raises(jwt.InvalidAudienceError):
        verify_as_a_relying_party(token, other, federation, ca_bundle_path())
    assert minted_tokens() == [token]


@pytest.mark.parametrize(
    ("audience", "seconds"),
    [("https://attacker.example", 300), ("urn:skylight:tenant:abc", 301), ("urn:skylight:other:abc", 60)],
)
def test_the_platform_principal_mints_for_tenant_audiences_and_five_minutes_only(
    federation, audience, seconds
):
    with pytest.raises(AwsCallError) as error:
        Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, "us-east-1").web_identity_token(audience, seconds)

    assert error.value.code == "AccessDenied"
    assert minted_tokens() == []


def test_no_other_role_may_mint(federation):
    # The functions' own role (its session is in the environment, as Lambda puts it there) may
    # assume the platform principal, but not mint tokens itself.
    own = boto3.client("sts", region_name="us-east-1")
    assert own.get_caller_identity()["Arn"].startswith(
        f"arn:aws:sts::{PLATFORM}:assumed-role/{FUNCTIONS_ROLE_ARN.rsplit('/', 1)[1]}/"
    )
    audience = federation_audience(dependencies.services(), "tenant-a")

    with pytest.raises(ClientError) as error:
        own.get_web_identity_token(Audience=[audience], SigningAlgorithm="RS256", DurationSeconds=300)

    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:GetWebIdentityToken" in error.value.response["Error"]["Message"]
    assert minted_tokens() == []


def test_tokens_are_never_logged(federation, capsys, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    token = identity_token(dependencies.services(), "tenant-a")

    captured = capsys.readouterr()
    for text in (
        captured.out,
        captured.err,
        caplog.text,
        json.dumps([str(r.__dict__) for r in caplog.records]),
    ):
        assert token not in text
        assert token.split(".")[2] not in text  # not even its signature
