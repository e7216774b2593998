"""The local run's deployment turned outbound identity federation on; the platform principal mints
tokens that verify as GCP and Entra ID verify them, and no other role of the stack may mint."""

from __future__ import annotations

import os
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from local.emulator.outbound_federation import ca_bundle_path
from local.run import LocalRun
from skylight.logic.federation import new_federation_audience
from tests.e2e.test_function_roles import as_function
from tests.support import verify_as_a_relying_party


def platform_principal_sts(run: LocalRun) -> Any:
    """STS as the platform principal, assumed by the API function's own role."""
    credentials = as_function(run, "api", "sts").assume_role(
        RoleArn=os.environ["PLATFORM_PRINCIPAL_ARN"], RoleSessionName="e2e"
    )["Credentials"]
    import boto3

    return boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=run.emulator.endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def test_a_token_minted_by_the_platform_principal_verifies_by_discovery(local_run: LocalRun) -> None:
    issuer = os.environ["OUTBOUND_ISSUER"]  # from the deployment's custom resource
    tenant_a, tenant_b = new_federation_audience(), new_federation_audience()

    token = platform_principal_sts(local_run).get_web_identity_token(
        Audience=[tenant_a], SigningAlgorithm="RS256", DurationSeconds=300
    )["WebIdentityToken"]

    claims = verify_as_a_relying_party(token, tenant_a, issuer, ca_bundle_path())
    assert claims["sub"] == os.environ["PLATFORM_PRINCIPAL_ARN"]
    assert claims["exp"] - claims["iat"] <= 300
    with pytest.raises(jwt.InvalidAudienceError):
        verify_as_a_relying_party(token, tenant_b, issuer, ca_bundle_path())


@pytest.mark.parametrize("function", ["api", "validate", "crawl_segments", "outbound_federation"])
def test_no_function_role_may_mint_itself(local_run: LocalRun, function: str) -> None:
    with pytest.raises(ClientError) as error:
        as_function(local_run, function, "sts").get_web_identity_token(
            Audience=[new_federation_audience()], SigningAlgorithm="RS256", DurationSeconds=300
        )

    assert error.value.response["Error"]["Code"] == "AccessDenied"
