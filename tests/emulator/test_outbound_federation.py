"""IAM outbound identity federation: an account's roles mint AWS-signed JWTs with STS
GetWebIdentityToken, and an external service (GCP, Entra ID) verifies them through the issuer's
OIDC discovery over HTTPS, as it would against AWS."""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.emulator import EmulatorHandle, client_for_account
from local.emulator.oidc_issuer import start_issuer
from local.emulator.outbound_federation import (
    ca_bundle_path,
    issuer_of,
    issuer_server,
    minted_tokens,
    stop_issuer_server,
)
from tests.emulator.conftest import CUSTOMER, PLATFORM, PLATFORM_CALLER, SESSION, Aws, allow, trust
from tests.support import verify_as_a_relying_party

ROLE = "skylight-federation"
ROLE_ARN = f"arn:aws:iam::{PLATFORM}:role/{ROLE}"
SESSION_ARN = f"arn:aws:sts::{PLATFORM}:assumed-role/{ROLE}/skylight"
AUDIENCE = "urn:skylight:gcp"
ISSUER = re.compile(
    r"^https://127\.0\.0\.1:\d+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def role_session(aws: Aws, policy: dict[str, Any] | None, duration: int | None = None) -> dict[str, str]:
    """A session of a platform role with `policy` inline, assumed by the platform caller."""
    aws.create_role(PLATFORM, ROLE, trust(PLATFORM_CALLER), policy)
    sts = aws.client("sts", credentials=aws.platform_caller())
    extra = {"DurationSeconds": duration} if duration is not None else {}
    credentials: dict[str, str] = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="skylight", **extra)[
        "Credentials"
    ]
    return credentials


def enable(aws: Aws, account_id: str = PLATFORM) -> str:
    issuer: str = aws.client("iam", account_id).enable_outbound_web_identity_federation()["IssuerIdentifier"]
    return issuer


def mint(aws: Aws, credentials: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("Audience", [AUDIENCE])
    kwargs.setdefault("SigningAlgorithm", "RS256")
    result: dict[str, Any] = aws.client("sts", credentials=credentials).get_web_identity_token(**kwargs)
    return result


def unvalidated_sts(aws: Aws, credentials: dict[str, str]) -> Any:
    """An STS client that sends what it is given, so that STS itself must refuse bad parameters."""
    return client_for_account(
        "sts",
        None,
        aws.endpoint_url,
        "us-east-1",
        SESSION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=Config(parameter_validation=False),
    )


def fetch(url: str) -> Any:
    context = ssl.create_default_context(cafile=ca_bundle_path())
    with urllib.request.urlopen(url, context=context, timeout=10) as response:  # noqa: S310 - https only
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        return json.load(response)


def status_of(url: str) -> int:
    try:
        fetch(url)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def verify(token: str, audience: str, issuer: str) -> dict[str, Any]:
    return verify_as_a_relying_party(token, audience, issuer, ca_bundle_path())


def error_of(call: Any, status: int, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response: dict[str, Any] = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    error: dict[str, str] = response["Error"]
    return error


def test_enable_disable_and_info_per_account(aws: Aws) -> None:
    iam = aws.client("iam", PLATFORM)
    never = error_of(iam.get_outbound_web_identity_federation_info, 404)
    assert never["Code"] == "FeatureDisabled"

    issuer = enable(aws)

    assert ISSUER.match(issuer)
    assert issuer == issuer_of(PLATFORM)
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    assert error_of(iam.enable_outbound_web_identity_federation, 409)["Code"] == "FeatureEnabled"
    # Another account has an issuer of its own, and its own state.
    customer = aws.client("iam", CUSTOMER)
    assert error_of(customer.get_outbound_web_identity_federation_info, 404)["Code"] == "FeatureDisabled"
    customer_issuer = enable(aws, CUSTOMER)
    assert ISSUER.match(customer_issuer)
    assert customer_issuer != issuer

    iam.disable_outbound_web_identity_federation()

    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, False)
    assert error_of(iam.disable_outbound_web_identity_federation, 404)["Code"] == "FeatureDisabled"
    assert customer.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is True
    # Enabled again, the account keeps its issuer.
    assert enable(aws) == issuer


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_a_role_session_token_verifies_through_discovery(aws: Aws, algorithm: str) -> None:
    issuer = enable(aws)
    session = role_session(aws, allow("sts:GetWebIdentityToken"))

    result = mint(aws, session, SigningAlgorithm=algorithm, DurationSeconds=900)

    token = result["WebIdentityToken"]
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    claims = verify(token, AUDIENCE, issuer)
    # The subject is the role, not the session.
    assert claims["sub"] == ROLE_ARN != SESSION_ARN
    assert claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert int(result["Expiration"].timestamp()) == claims["exp"]
    assert claims["https://sts.amazonaws.com/"] == {"aws_account": PLATFORM, "source_region": "us-east-1"}
    assert token in minted_tokens()


def test_tokens_default_to_five_minutes_and_carry_every_audience(aws: Aws) -> None:
    issuer = enable(aws)
    session = role_session(aws, allow("sts:GetWebIdentityToken"))
    audiences = [AUDIENCE, "api://AzureADTokenExchange"]

    token = mint(aws, session, Audience=audiences)["WebIdentityToken"]

    for audience in audiences:
        claims = verify(token, audience, issuer)
        assert claims["aud"] == audiences
        assert claims["exp"] - claims["iat"] == 300


def test_a_token_does_not_verify_for_another_audience_account_or_payload(aws: Aws) -> None:
    issuer = enable(aws)
    other_issuer = enable(aws, CUSTOMER)
    session = role_session(aws, allow("sts:GetWebIdentityToken"))
    token = mint(aws, session, Audience=["urn:skylight:a"])["WebIdentityToken"]

    assert verify(token, "urn:skylight:a", issuer)["sub"] == ROLE_ARN
    with pytest.raises(jwt.InvalidAudienceError):
        verify(token, "urn:skylight:b", issuer)
    # Each account signs with keys of its own.
    with pytest.raises(jwt.PyJWKClientError):
        verify(token, "urn:skylight:a", other_issuer)
    header, _, signature = token.split(".")
    forged = jwt.utils.base64url_encode(
        json.dumps(
            {**jwt.decode(token, options={"verify_signature": False}), "sub": "arn:aws:iam::1:role/x"}
        ).encode()
    ).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(f"{header}.{forged}.{signature}", "urn:skylight:a", issuer)


def test_disabled_federation_refuses_tokens(aws: Aws) -> None:
    session = role_session(aws, allow("sts:GetWebIdentityToken"))
    sts = aws.client("sts", credentials=session)
    kwargs = {"Audience": [AUDIENCE], "SigningAlgorithm": "RS256"}

    never = error_of(sts.get_web_identity_token, 403, **kwargs)
    assert never["Code"] == "OutboundWebIdentityFederationDisabledException"
    # Enabled in another account only: still refused for this one.
    enable(aws, CUSTOMER)
    assert error_of(sts.get_web_identity_token, 403, **kwargs)["Code"] == never["Code"]
    enable(aws)
    assert mint(aws, session)["WebIdentityToken"]
    aws.client("iam", PLATFORM).disable_outbound_web_identity_federation()
    assert error_of(sts.get_web_identity_token, 403, **kwargs)["Code"] == never["Code"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"SigningAlgorithm": "RS256"},
            "1 validation error detected: Value null at 'audience' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"Audience": [f"urn:skylight:{n}" for n in range(11)], "SigningAlgorithm": "RS256"},
            "failed to satisfy constraint: Member must have length less than or equal to 10",
        ),
        (
            {"Audience": [AUDIENCE], "SigningAlgorithm": "RS256", "DurationSeconds": 59},
            "1 validation error detected: Value '59' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 60",
        ),
        (
            {"Audience": [AUDIENCE], "SigningAlgorithm": "RS256", "DurationSeconds": 3601},
            "1 validation error detected: Value '3601' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 3600",
        ),
        (
            {"Audience": [AUDIENCE], "SigningAlgorithm": "HS256"},
            "1 validation error detected: Value 'HS256' at 'signingAlgorithm' failed to satisfy constraint: "
            "Member must satisfy enum value set: [RS256, ES384]",
        ),
        (
            {"Audience": [AUDIENCE]},
            "1 validation error detected: Value null at 'signingAlgorithm' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"Audience": [], "SigningAlgorithm": "RS256", "DurationSeconds": 30},
            "2 validation errors detected: Value '[]' at 'audience' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1; Value '30' at 'durationSeconds'",
        ),
    ],
)
def test_bad_parameters_are_refused_with_validation_errors(
    aws: Aws, kwargs: dict[str, Any], message: str
) -> None:
    enable(aws)
    session = role_session(aws, allow("sts:GetWebIdentityToken"))

    error = error_of(unvalidated_sts(aws, session).get_web_identity_token, 400, **kwargs)

    assert error["Code"] == "ValidationError"
    assert message in error["Message"]
    assert minted_tokens() == []


def test_identity_policy_conditions_on_audience_and_duration(aws: Aws) -> None:
    enable(aws)
    statement = {
        "Effect": "Allow",
        "Action": "sts:GetWebIdentityToken",
        "Resource": "*",
        "Condition": {
            "ForAllValues:StringLike": {"sts:IdentityTokenAudience": "urn:skylight:*"},
            "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
        },
    }
    session = role_session(aws, {"Version": "2012-10-17", "Statement": [statement]})
    sts = aws.client("sts", credentials=session)

    assert mint(aws, session, DurationSeconds=300)["WebIdentityToken"]
    both = mint(aws, session, Audience=[AUDIENCE, "urn:skylight:entra"], DurationSeconds=60)
    assert both["WebIdentityToken"]
    for audience, duration in (
        (["https://elsewhere.example"], 300),
        ([AUDIENCE, "https://elsewhere.example"], 300),
        ([AUDIENCE], 301),
    ):
        error = error_of(
            sts.get_web_identity_token,
            403,
            Audience=audience,
            SigningAlgorithm="ES384",
            DurationSeconds=duration,
        )
        assert error["Code"] == "AccessDenied"
        assert error["Message"] == (
            f"User: {SESSION_ARN} is not authorized to perform: sts:GetWebIdentityToken "
            "because no identity-based policy allows the sts:GetWebIdentityToken action"
        )
    assert len(minted_tokens()) == 2


def test_a_signing_algorithm_condition(aws: Aws) -> None:
    enable(aws)
    statement = {
        "Effect": "Allow",
        "Action": "sts:GetWebIdentityToken",
        "Resource": "*",
        "Condition": {"StringEquals": {"sts:SigningAlgorithm": "ES384"}},
    }
    session = role_session(aws, {"Version": "2012-10-17", "Statement": [statement]})

    assert mint(aws, session, SigningAlgorithm="ES384")["WebIdentityToken"]
    refused = error_of(
        aws.client("sts", credentials=session).get_web_identity_token,
        403,
        Audience=[AUDIENCE],
        SigningAlgorithm="RS256",
    )
    assert refused["Code"] == "AccessDenied"


def test_a_role_without_the_grant_is_refused(aws: Aws) -> None:
    enable(aws)
    session = role_session(aws, allow("sts:GetCallerIdentity", "sts:AssumeRole"))

    error = error_of(
        aws.client("sts", credentials=session).get_web_identity_token,
        403,
        Audience=[AUDIENCE],
        SigningAlgorithm="RS256",
    )

    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: {SESSION_ARN} is not authorized to perform: sts:GetWebIdentityToken "
        "because no identity-based policy allows the sts:GetWebIdentityToken action"
    )
    assert minted_tokens() == []


def test_tags_need_sts_tag_get_web_identity_token_and_become_claims(aws: Aws) -> None:
    issuer = enable(aws)
    tags = [{"Key": "tenant", "Value": "t-42"}]
    untagged = role_session(aws, allow("sts:GetWebIdentityToken"))

    error = error_of(
        aws.client("sts", credentials=untagged).get_web_identity_token,
        403,
        Audience=[AUDIENCE],
        SigningAlgorithm="RS256",
        Tags=tags,
    )
    assert error["Code"] == "AccessDenied"
    assert "sts:TagGetWebIdentityToken" in error["Message"]

    aws.client("iam", PLATFORM).put_role_policy(
        RoleName=ROLE,
        PolicyName="inline",
        PolicyDocument=json.dumps(allow("sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken")),
    )
    aws.client("iam", PLATFORM).tag_role(RoleName=ROLE, Tags=[{"Key": "team", "Value": "platform"}])
    token = mint(aws, untagged, Tags=tags)["WebIdentityToken"]

    claims = verify(token, AUDIENCE, issuer)["https://sts.amazonaws.com/"]
    assert claims["request_tags"] == {"tenant": "t-42"}
    assert claims["principal_tags"] == {"team": "platform"}


def test_a_token_may_not_outlive_its_session(aws: Aws) -> None:
    enable(aws)
    session = role_session(aws, allow("sts:GetWebIdentityToken"), duration=900)

    assert mint(aws, session, DurationSeconds=600)["WebIdentityToken"]
    error = error_of(
        aws.client("sts", credentials=session).get_web_identity_token,
        403,
        Audience=[AUDIENCE],
        SigningAlgorithm="RS256",
        DurationSeconds=3600,
    )
    assert error["Code"] == "SessionDurationEscalationException"


def test_users_get_tokens_for_themselves_and_roots_none(aws: Aws) -> None:
    issuer = enable(aws)
    iam = aws.client("iam", PLATFORM)
    user_arn = iam.create_user(UserName="ci")["User"]["Arn"]
    iam.put_user_policy(UserName="ci", PolicyName="inline", PolicyDocument=json.dumps(allow("sts:*")))
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    user = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"], "SessionToken": ""}

    token = mint(aws, user)["WebIdentityToken"]

    assert verify(token, AUDIENCE, issuer)["sub"] == user_arn
    root = aws.client("sts", PLATFORM)
    error = error_of(root.get_web_identity_token, 403, Audience=[AUDIENCE], SigningAlgorithm="RS256")
    assert error["Code"] == "AccessDenied"
    assert minted_tokens() == [token]


def test_discovery_answers_only_while_enabled(aws: Aws) -> None:
    issuer = enable(aws)
    discovery, keys = f"{issuer}/.well-known/openid-configuration", f"{issuer}/.well-known/jwks.json"

    assert fetch(discovery)["jwks_uri"] == keys
    # Clients built on requests reach it too, in-process (moto lets requests to other hosts through).
    assert requests.get(discovery, verify=ca_bundle_path(), timeout=10).json()["issuer"] == issuer
    assert {(key["kty"], key["alg"]) for key in fetch(keys)["keys"]} == {("RSA", "RS256"), ("EC", "ES384")}
    assert status_of(issuer_of(CUSTOMER) + "/.well-known/openid-configuration") == 404
    assert status_of(f"{issuer}/.well-known/other") == 404

    aws.client("iam", PLATFORM).disable_outbound_web_identity_federation()

    assert status_of(discovery) == 404
    assert status_of(keys) == 404


def test_reset_clears_federation(server: Aws, emulator: EmulatorHandle) -> None:
    issuer = enable(server)
    session = role_session(server, allow("sts:GetWebIdentityToken"))
    mint(server, session)
    assert len(minted_tokens()) == 1

    emulator.reset()

    assert status_of(f"{issuer}/.well-known/openid-configuration") == 404
    assert minted_tokens() == []
    info = error_of(server.client("iam", PLATFORM).get_outbound_web_identity_federation_info, 404)
    assert info["Code"] == "FeatureDisabled"
    # The account keeps its issuer within the process.
    assert enable(server) == issuer


def test_an_issuer_server_stops_cleanly() -> None:
    issuer = start_issuer(lambda identifier: identifier == "known")
    context = issuer.ssl_context()
    url = f"{issuer.base_url}/known/.well-known/openid-configuration"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:  # noqa: S310 - https only
        assert json.load(response)["issuer"] == f"{issuer.base_url}/known"
    assert Path(issuer.ca_bundle_path).is_file()

    issuer.stop()
    issuer.stop()  # idempotent

    assert not Path(issuer.ca_bundle_path).exists()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, context=context, timeout=2)  # noqa: S310 - https only


def test_the_shared_issuer_restarts_with_the_same_account_ids() -> None:
    first, before = issuer_server(), issuer_of(CUSTOMER)

    stop_issuer_server()
    second, after = issuer_server(), issuer_of(CUSTOMER)

    assert second is not first
    assert not Path(first.ca_bundle_path).exists()
    assert after == f"{second.base_url}/{before.rsplit('/', 1)[1]}"
