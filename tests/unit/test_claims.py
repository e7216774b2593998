"""The caller comes from verified claims only, whatever shape the roles claim has."""

import dataclasses

import pytest

from skylight.config import get_settings
from skylight.handlers.api.auth import caller_from_claims, parse_roles_claim, require_role
from skylight.models.errors import Forbidden, Unauthorized


@pytest.mark.parametrize(
    ("claim", "roles"),
    [
        ("[admin viewer]", ["admin", "viewer"]),  # API Gateway's flattening of an array claim
        ('["admin"]', ["admin"]),
        ("admin,viewer", ["admin", "viewer"]),
        ("viewer", ["viewer"]),
        (["admin"], ["admin"]),
        (None, []),
        (7, []),
        ("[]", []),
    ],
)
def test_roles_claim_shapes(claim, roles):
    assert parse_roles_claim(claim) == roles


def test_missing_claims_or_tenant_is_unauthorized():
    settings = get_settings()
    with pytest.raises(Unauthorized):
        caller_from_claims(None, settings)
    with pytest.raises(Unauthorized):
        caller_from_claims({"sub": "u", "roles": "admin"}, settings)
    with pytest.raises(Unauthorized):
        caller_from_claims({"tenant_id": "bad tenant/../x", "roles": "admin"}, settings)


def test_claim_names_are_configurable():
    settings = dataclasses.replace(get_settings(), tenant_claim="org", roles_claim="groups")
    caller = caller_from_claims({"org": "acme", "groups": "[viewer]", "sub": "u1"}, settings)
    assert (caller.tenant_id, caller.roles, caller.subject) == ("acme", frozenset({"viewer"}), "u1")


def test_unknown_roles_grant_nothing_and_viewers_cannot_act_as_admins():
    settings = get_settings()
    caller = caller_from_claims({"tenant_id": "t", "roles": "[superuser viewer]"}, settings)
    assert caller.roles == frozenset({"viewer"})
    assert require_role(caller, "viewer") is caller
    with pytest.raises(Forbidden):
        require_role(caller, "admin")
