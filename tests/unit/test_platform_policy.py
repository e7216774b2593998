"""The platform principal's policy document: any role, except the platform's own estate."""

from __future__ import annotations

import json

import pytest

from infra.platform_policy import any_role_arn, platform_principal_policy

ACCOUNT = "123456789012"
ORG_CONDITION = {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}


def _by_sid(document):
    return {statement["Sid"]: statement for statement in document["Statement"]}


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_any_role_arn_is_every_role_of_every_account_in_the_partition(partition):
    assert any_role_arn(partition) == f"arn:{partition}:iam::*:role/*"


def test_by_default_the_platform_account_and_its_organization_are_denied():
    document = platform_principal_policy("aws", ACCOUNT, allow_own_organization=False)

    assert document["Version"] == "2012-10-17"
    assert _by_sid(document) == {
        "AssumeCustomerRoles": {
            "Sid": "AssumeCustomerRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/*",
        },
        "DenyRolesOfThePlatformAccount": {
            "Sid": "DenyRolesOfThePlatformAccount",
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}},
        },
        "DenyRolesOfThePlatformOrganization": {
            "Sid": "DenyRolesOfThePlatformOrganization",
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": ORG_CONDITION,
        },
    }


def test_allowing_the_own_organization_lifts_only_the_organization_deny():
    document = platform_principal_policy("aws", ACCOUNT, allow_own_organization=True)

    statements = _by_sid(document)
    assert set(statements) == {"AssumeCustomerRoles", "DenyRolesOfThePlatformAccount"}
    assert statements["DenyRolesOfThePlatformAccount"]["Effect"] == "Deny"
    assert statements["DenyRolesOfThePlatformAccount"]["Condition"] == {
        "StringEquals": {"aws:ResourceAccount": ACCOUNT}
    }
    assert "aws:ResourceOrgID" not in json.dumps(document)


@pytest.mark.parametrize("allow_own_organization", [False, True])
@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_every_statement_names_roles_of_the_given_partition(partition, allow_own_organization):
    document = platform_principal_policy(partition, ACCOUNT, allow_own_organization=allow_own_organization)

    assert {statement["Resource"] for statement in document["Statement"]} == {
        f"arn:{partition}:iam::*:role/*"
    }
    assert "arn:aws:" not in json.dumps(document)


@pytest.mark.parametrize("allow_own_organization", [False, True])
def test_the_denies_cover_every_action_the_allow_grants(allow_own_organization):
    document = platform_principal_policy("aws", ACCOUNT, allow_own_organization=allow_own_organization)
    allowed = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    denied = [s for s in document["Statement"] if s["Effect"] == "Deny"]

    (allow,) = allowed
    assert "Condition" not in allow
    assert denied
    for deny in denied:
        assert (deny["Action"], deny["Resource"]) == (allow["Action"], allow["Resource"])
        assert "NotAction" not in deny and "NotResource" not in deny


def test_the_document_is_plain_json_and_a_new_copy_each_time():
    first = platform_principal_policy("aws", ACCOUNT, allow_own_organization=False)
    first["Statement"].clear()

    second = platform_principal_policy("aws", ACCOUNT, allow_own_organization=False)
    assert len(second["Statement"]) == 3
    assert json.loads(json.dumps(second)) == second
