"""The caller comes only from the verified token: its own payload, checked against what the JWT
authorizer passed on, roles taken as exact values of the roles claim."""

import base64
import dataclasses
import json

import pytest

from local.http_api import authorizer_claims
from skylight.config import get_settings
from skylight.handlers.api.auth import authorize, caller_from_claims, roles_of, token_payload
from skylight.models.errors import Forbidden, Unauthorized
from tests.support import api_event


def token(payload) -> str:
    """A token whose payload is `payload` (its signature is the authorizer's business, not ours)."""

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(payload)}.c2lnbmF0dXJl"


def caller(payload, settings=None):
    """The caller of a request whose verified token carries `payload`, as API Gateway passes it on."""
    return caller_from_claims(authorizer_claims(payload), payload, settings or get_settings())


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        (["viewer", "Billing admin"], {"viewer"}),  # API Gateway flattens this to "[viewer Billing admin]"
        (["Billing admin"], set()),
        (["admin,viewer"], set()),
        (['["admin"]'], set()),
        (["[admin]"], set()),
        (['admin"'], set()),
        (["Admin", "VIEWER"], set()),  # exact, case-sensitive
        (["admin "], set()),
        (["admin", "viewer"], {"admin", "viewer"}),
        ("admin", {"admin"}),  # a single role as a string claim
        ("admin viewer", set()),  # not a list: one value that is no role
        ([], set()),
        ([7, {"admin": True}], set()),
    ],
)
def test_roles_are_exact_values_of_the_tokens_own_roles_claim(groups, roles):
    found = caller({"tenant_id": "acme", "sub": "u1", "roles": groups})

    assert found.roles == frozenset(roles)


def test_a_group_named_like_a_role_after_a_space_grants_nothing_even_though_the_flattened_claim_looks_so():
    payload = {"tenant_id": "acme", "sub": "u1", "roles": ["Billing admin"]}
    assert authorizer_claims(payload)["roles"] == "[Billing admin]"

    assert caller(payload).roles == frozenset()


def test_role_names_are_configurable():
    settings = dataclasses.replace(
        get_settings(), tenant_claim="org", roles_claim="groups", admin_role_name="skylight-admins"
    )
    found = caller({"org": "acme", "groups": ["skylight-admins", "admin"], "sub": "u1"}, settings)

    assert (found.tenant_id, found.roles, found.subject) == ("acme", frozenset({"admin"}), "u1")


@pytest.mark.parametrize(
    "tampered",
    [
        {"roles": "[admin]"},  # the authorizer saw other roles than the token carries
        {"tenant_id": "globex"},
        {"sub": "someone-else"},
    ],
)
def test_a_payload_that_is_not_the_verified_token_is_unauthorized(tampered):
    payload = {"tenant_id": "acme", "sub": "u1", "roles": ["viewer"]}
    verified = {**authorizer_claims(payload), **tampered}

    with pytest.raises(Unauthorized):
        caller_from_claims(verified, payload, get_settings())


def test_a_roles_claim_only_the_payload_or_only_the_authorizer_has_is_unauthorized():
    payload = {"tenant_id": "acme", "sub": "u1"}
    with pytest.raises(Unauthorized):
        caller_from_claims({**authorizer_claims(payload), "roles": "[admin]"}, payload, get_settings())
    with pytest.raises(Unauthorized):
        caller_from_claims(authorizer_claims(payload), {**payload, "roles": ["admin"]}, get_settings())


def test_missing_claims_tenant_or_subject_is_unauthorized():
    settings = get_settings()
    with pytest.raises(Unauthorized):
        caller_from_claims(None, {}, settings)
    with pytest.raises(Unauthorized, match="tenant_id"):
        caller({"sub": "u", "roles": ["admin"]})
    with pytest.raises(Unauthorized, match="tenant_id"):
        caller({"tenant_id": "bad tenant/../x", "sub": "u", "roles": ["admin"]})
    with pytest.raises(Unauthorized, match="sub"):
        caller({"tenant_id": "acme", "roles": ["admin"]})
    with pytest.raises(Unauthorized, match="sub"):
        caller({"tenant_id": "acme", "sub": " ", "roles": ["admin"]})


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.%%%.c",
        "Bearer " + token(["not", "an", "object"]),
    ],
)
def test_a_missing_or_unreadable_bearer_token_is_unauthorized(header):
    with pytest.raises(Unauthorized):
        token_payload({} if header is None else {"Authorization": header})


def test_two_authorization_headers_are_unauthorized():
    good = "Bearer " + token({"tenant_id": "acme"})
    with pytest.raises(Unauthorized):
        token_payload({"authorization": good, "Authorization": good})


def test_the_payload_is_read_from_the_bearer_token():
    assert token_payload({"authorization": "bearer " + token({"tenant_id": "acme"})}) == {"tenant_id": "acme"}


def test_unknown_roles_grant_nothing_and_viewers_cannot_act_as_admins():
    event = api_event(
        "POST", "/v1/accounts", {}, {"tenant_id": "t", "sub": "u", "roles": ["superuser", "viewer"]}
    )
    with pytest.raises(Forbidden):
        authorize(event, get_settings())
    reading = api_event("GET", "/v1/accounts", None, {"tenant_id": "t", "sub": "u", "roles": ["viewer"]})
    assert authorize(reading, get_settings()).roles == frozenset({"viewer"})


def test_roles_of_ignores_whatever_is_not_exactly_a_role_name():
    assert roles_of(["admin", ["admin"], None, "viewer"], get_settings()) == frozenset({"admin", "viewer"})
