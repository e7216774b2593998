"""The Google fake checks what Google checks, driven by the real google-auth and by Google's own REST
calls for the customer's side: the token exchange verifies the subject token by discovery and JWKS,
its issuer, audience, expiry and the provider's condition; impersonation needs the binding; reads need
a role and the API enabled. Each refusal comes with Google's error body."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from google.auth import exceptions, identity_pool
from google.auth.transport.requests import AuthorizedSession, Request

from local.clouds.gcp.server import start_gcp_fake
from local.clouds.gcp.transport import GoogleApisOnLoopback, google_session
from local.clouds.gcp.world import GcpWorld, GoogleError
from local.clouds.https import LoopbackCa
from local.emulator import oidc_issuer

ISSUER_ID = "c0ffee00-aaaa-bbbb-cccc-000000000001"
PLATFORM = "arn:aws:iam::111111111111:role/skylight-platform"
OWNER = {"Authorization": "Bearer customer-owner"}
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


@dataclass
class Google:
    world: GcpWorld
    session: requests.Session
    base_url: str
    ca_bundle_path: str
    issuer: str

    def call(self, method: str, url: str, body: Any = None, **query: str) -> requests.Response:
        return self.session.request(method, url, json=body, params=query or None, headers=OWNER, timeout=10)

    def token(
        self, audience: str, subject: str = PLATFORM, expires_in: int = 300, issuer_id: str = ISSUER_ID
    ) -> str:
        key = oidc_issuer.signing_key(issuer_id, "RS256")
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": subject, "aud": audience, "iat": now, "exp": now + expires_in}
        return jwt.encode(
            claims | {"jti": str(uuid.uuid4())}, key.private_key, "RS256", headers={"kid": key.kid}
        )


@pytest.fixture(scope="module")
def google() -> Iterator[Google]:
    issuer = oidc_issuer.start_issuer(lambda identifier: identifier == ISSUER_ID)
    ca = LoopbackCa()
    world = GcpWorld(trust=issuer.ssl_context())
    fake = start_gcp_fake(world, ca)
    session = google_session(fake.base_url, ca.ca_bundle_path)
    try:
        yield Google(world, session, fake.base_url, ca.ca_bundle_path, f"{issuer.base_url}/{ISSUER_ID}")
    finally:
        fake.stop()
        ca.close()
        issuer.stop()


@dataclass
class Customer:
    project_id: str
    number: str
    email: str
    provider: str  # the provider's resource name
    audience: str


def set_up_customer(google: Google, name: str, condition: str | None = None, bind: bool = True) -> Customer:
    """What a customer's gcloud script does: project, service account, pool, provider, bindings."""
    crm, iam = "https://cloudresourcemanager.googleapis.com/v1", "https://iam.googleapis.com/v1"
    project = google.call("POST", f"{crm}/projects", {"projectId": name, "name": name}).json()["response"]
    account = google.call(
        "POST", f"{iam}/projects/{name}/serviceAccounts", {"accountId": "skylight-reader"}
    ).json()
    email = account["email"]
    policy = {"bindings": [{"role": "roles/viewer", "members": [f"serviceAccount:{email}"]}]}
    assert google.call("POST", f"{crm}/projects/{name}:setIamPolicy", {"policy": policy}).ok
    pools = f"{iam}/projects/{name}/locations/global/workloadIdentityPools"
    assert google.call("POST", pools, {}, workloadIdentityPoolId="skylight").ok
    audience = f"skylight:tenant:{name}"
    created = google.call(
        "POST",
        f"{pools}/skylight/providers",
        {
            "oidc": {"issuerUri": google.issuer, "allowedAudiences": [audience]},
            "attributeMapping": {"google.subject": "assertion.sub"},
            "attributeCondition": condition if condition is not None else f"assertion.sub == '{PLATFORM}'",
        },
        workloadIdentityPoolProviderId="aws-platform",
    )
    assert created.ok, created.text
    provider = created.json()["response"]["name"]
    pool = provider.rsplit("/providers/", 1)[0]
    if bind:
        member = f"principal://iam.googleapis.com/{pool}/subject/{PLATFORM}"
        binding = {"bindings": [{"role": "roles/iam.workloadIdentityUser", "members": [member]}]}
        url = f"{iam}/projects/{name}/serviceAccounts/{email}:setIamPolicy"
        assert google.call("POST", url, {"policy": binding}).ok
    return Customer(name, project["projectNumber"], email, provider, audience)


def federated(google: Google, customer: Customer, token: str) -> identity_pool.Credentials:
    class Supplier(identity_pool.SubjectTokenSupplier):
        def get_subject_token(self, context: Any, request: Any) -> str:
            return token

    return identity_pool.Credentials(
        audience=f"//iam.googleapis.com/{customer.provider}",
        subject_token_type="urn:ietf:params:oauth:token-type:jwt",
        token_url="https://sts.googleapis.com/v1/token",
        subject_token_supplier=Supplier(),
        service_account_impersonation_url=(
            f"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{customer.email}:generateAccessToken"
        ),
        scopes=SCOPES,
    )


def refused(google: Google, credentials: identity_pool.Credentials) -> str:
    with pytest.raises((exceptions.RefreshError, exceptions.OAuthError)) as refusal:
        credentials.refresh(Request(google.session))
    return str(refusal.value)


def test_a_keyless_chain_reads_the_project_through_the_real_client(google: Google) -> None:
    customer = set_up_customer(google, "keyless-ok")
    credentials = federated(google, customer, google.token(customer.audience))

    session = AuthorizedSession(credentials, auth_request=Request(google.session))
    session.mount("https://", GoogleApisOnLoopback(google.base_url, google.ca_bundle_path))
    answer = session.get(
        f"https://cloudresourcemanager.googleapis.com/v3/projects/{customer.project_id}", timeout=10
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == f"projects/{customer.number}"
    assert google.world.caller(credentials.token).member == f"serviceAccount:{customer.email}"
    (exchange,) = [
        each for each in google.world.exchanges if each.get("audience", "").endswith(customer.provider)
    ]
    assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"


def test_a_token_for_another_audience_is_refused_as_invalid_grant(google: Google) -> None:
    customer = set_up_customer(google, "wrong-audience")

    message = refused(google, federated(google, customer, google.token("skylight:tenant:someone-else")))

    assert "invalid_grant" in message and "audience" in message


def test_a_subject_the_condition_does_not_pin_is_unauthorized(google: Google) -> None:
    customer = set_up_customer(google, "pinned-subject")
    other_role = "arn:aws:iam::111111111111:role/not-the-platform"

    message = refused(
        google, federated(google, customer, google.token(customer.audience, subject=other_role))
    )

    assert "unauthorized_client" in message and "attribute condition" in message


def test_an_expired_or_foreign_signed_token_is_refused(google: Google) -> None:
    customer = set_up_customer(google, "signatures")

    expired = refused(google, federated(google, customer, google.token(customer.audience, expires_in=-60)))
    # Signed with another issuer's key, under this issuer's name: the JWKS has no such key.
    foreign = refused(
        google, federated(google, customer, google.token(customer.audience, issuer_id="another-issuer"))
    )

    assert "invalid_grant" in expired and "expired" in expired
    assert "invalid_grant" in foreign and "signature" in foreign


def test_a_missing_provider_is_an_invalid_target(google: Google) -> None:
    customer = set_up_customer(google, "no-provider")
    gone = Customer(
        customer.project_id, customer.number, customer.email, customer.provider + "-gone", customer.audience
    )

    message = refused(google, federated(google, gone, google.token(customer.audience)))

    assert "invalid_target" in message


def test_impersonation_without_the_binding_is_denied_with_googles_reason(google: Google) -> None:
    customer = set_up_customer(google, "unbound-account", bind=False)

    message = refused(google, federated(google, customer, google.token(customer.audience)))

    assert "IAM_PERMISSION_DENIED" in message and "iam.serviceAccounts.getAccessToken" in message


def test_a_read_needs_a_role_and_the_api_enabled(google: Google) -> None:
    customer = set_up_customer(google, "reads-checked")
    credentials = federated(google, customer, google.token(customer.audience))
    credentials.refresh(Request(google.session))
    headers = {"Authorization": f"Bearer {credentials.token}"}
    usage = f"https://serviceusage.googleapis.com/v1/projects/{customer.project_id}/services"

    # A new project has Cloud Asset off; viewer may read whether it is on.
    state = google.session.get(f"{usage}/cloudasset.googleapis.com", headers=headers, timeout=10)
    assert state.json()["state"] == "DISABLED"
    with pytest.raises(GoogleError) as disabled:
        google.world.require(
            credentials.token,
            customer.project_id,
            "resourcemanager.projects.get",
            "cloudasset.googleapis.com",
        )
    assert "SERVICE_DISABLED" in str(disabled.value)

    # A project the account has no role on answers as Google does: no telling whether it exists.
    other = set_up_customer(google, "someone-elses")
    denied = google.session.get(
        f"https://cloudresourcemanager.googleapis.com/v3/projects/{other.project_id}",
        headers=headers,
        timeout=10,
    )
    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"


def test_the_gcloud_path_form_reaches_the_same_host(google: Google) -> None:
    customer = set_up_customer(google, "path-form")
    # What gcloud sends with CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM=https://127.0.0.1:<port>/iam/
    answer = requests.get(
        f"{google.base_url}/iam/v1/projects/{customer.project_id}/locations/global/workloadIdentityPools/skylight",
        headers=OWNER,
        verify=google.ca_bundle_path,
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["name"].endswith("/workloadIdentityPools/skylight")


@pytest.mark.parametrize(
    ("provider_id", "body", "reason"),
    [
        (
            "ab",
            {"oidc": {"issuerUri": "https://x"}, "attributeMapping": {"google.subject": "assertion.sub"}},
            "4 to 32",
        ),
        (
            "gcp-reserved",
            {"oidc": {"issuerUri": "https://x"}, "attributeMapping": {"google.subject": "assertion.sub"}},
            "gcp-",
        ),
        (
            "plain-http",
            {"oidc": {"issuerUri": "http://x"}, "attributeMapping": {"google.subject": "assertion.sub"}},
            "HTTPS",
        ),
        (
            "bad-condition",
            {
                "oidc": {"issuerUri": "https://x"},
                "attributeMapping": {"google.subject": "assertion.sub"},
                "attributeCondition": "assertion.sub ==",
            },
            "CEL",
        ),
    ],
)
def test_a_provider_google_would_refuse_is_refused(
    google: Google, provider_id: str, body: Any, reason: str
) -> None:
    project = set_up_customer(google, f"refusals-{uuid.uuid4().hex[:8]}").project_id
    url = f"https://iam.googleapis.com/v1/projects/{project}/locations/global/workloadIdentityPools/skylight/providers"

    answer = google.call("POST", url, body, workloadIdentityPoolProviderId=provider_id)

    assert answer.status_code == 400
    assert (
        answer.json()["error"]["status"] == "INVALID_ARGUMENT" and reason in answer.json()["error"]["message"]
    )
