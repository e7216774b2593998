"""The policy evaluator on its own: the IAM semantics the emulator relies on."""

from __future__ import annotations

from typing import Any

import pytest

from local.emulator.policy import Decision, Principal, Request, evaluate, parse_document

PLATFORM = Principal(
    "123456789012", ("arn:aws:sts::123456789012:assumed-role/p/s", "arn:aws:iam::123456789012:role/p")
)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def decide(document: dict[str, Any] | str, action: str, **kwargs: Any) -> Decision:
    return evaluate([document], Request(action=action, **kwargs))


def test_action_wildcards_are_case_insensitive_and_literal_elsewhere() -> None:
    document = policy({"Effect": "Allow", "Action": ["ec2:Describe*", "s3:Get?bject"], "Resource": "*"})

    assert decide(document, "ec2:describeinstances") is Decision.ALLOW
    assert decide(document, "s3:GetObject") is Decision.ALLOW
    assert decide(document, "ec2:RunInstances") is Decision.IMPLICIT_DENY
    assert decide(
        policy({"Effect": "Allow", "Action": "ec2:Describe.*", "Resource": "*"}), "ec2:DescribeX"
    ) is (Decision.IMPLICIT_DENY)


def test_explicit_deny_wins_across_documents_and_not_action() -> None:
    allow_all = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny_writes = policy({"Effect": "Deny", "NotAction": ["ec2:Describe*"], "Resource": "*"})

    assert evaluate([allow_all, deny_writes], Request("ec2:DescribeVpcs")) is Decision.ALLOW
    assert evaluate([allow_all, deny_writes], Request("ec2:RunInstances")) is Decision.EXPLICIT_DENY


def test_resources_and_unknown_resources() -> None:
    document = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::reports*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::reports-keep"},
    )

    assert decide(document, "s3:ListBucket", resource="arn:aws:s3:::reports-2026") is Decision.ALLOW
    assert decide(document, "s3:ListBucket", resource="arn:aws:s3:::private") is Decision.IMPLICIT_DENY
    assert decide(document, "s3:DeleteBucket", resource="arn:aws:s3:::reports-keep") is Decision.EXPLICIT_DENY
    # Unknown resource: the Allow gets the benefit of the doubt, the narrow Deny cannot be proven.
    assert decide(document, "s3:DeleteBucket") is Decision.ALLOW
    assert decide(policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}), "s3:ListAllMyBuckets") is (
        Decision.EXPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Decision.ALLOW),
        ("123456789012", Decision.ALLOW),
        ("arn:aws:iam::123456789012:root", Decision.ALLOW),
        ("arn:aws:iam::123456789012:role/p", Decision.ALLOW),
        ("arn:aws:iam::123456789012:role/other", Decision.IMPLICIT_DENY),
        ("arn:aws:iam::111111111111:root", Decision.IMPLICIT_DENY),
    ],
)
def test_trust_principals(principal: str, expected: Decision) -> None:
    document = policy({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})

    assert decide(document, "sts:AssumeRole", principal=PLATFORM) is expected


def test_service_principals_and_statements_without_principal_grant_nobody() -> None:
    service = policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"})
    nobody = policy({"Effect": "Allow", "Action": "sts:AssumeRole"})

    assert decide(service, "sts:AssumeRole", principal=PLATFORM) is Decision.IMPLICIT_DENY
    assert decide(nobody, "sts:AssumeRole", principal=PLATFORM) is Decision.IMPLICIT_DENY


def test_not_principal_deny() -> None:
    document = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/p"},
            "Action": "sts:AssumeRole",
        },
    )
    stranger = Principal("123456789012", ("arn:aws:iam::123456789012:root",))

    assert decide(document, "sts:AssumeRole", principal=PLATFORM) is Decision.ALLOW
    assert decide(document, "sts:AssumeRole", principal=stranger) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"StringEquals": {"sts:ExternalId": "abc"}}, {"sts:externalid": ["abc"]}, True),
        ({"StringEquals": {"sts:ExternalId": "abc"}}, {"sts:externalid": ["ABC"]}, False),
        ({"StringEquals": {"sts:ExternalId": "abc"}}, {}, False),
        ({"StringEqualsIgnoreCase": {"sts:ExternalId": "abc"}}, {"sts:externalid": ["ABC"]}, True),
        ({"StringEquals": {"sts:ExternalId": ["x", "abc"]}}, {"sts:externalid": ["abc"]}, True),
        ({"StringLike": {"sts:ExternalId": "ab?-*"}}, {"sts:externalid": ["abc-123"]}, True),
        ({"StringLike": {"sts:ExternalId": "ab?-*"}}, {}, False),
        ({"StringNotEquals": {"sts:ExternalId": "abc"}}, {}, True),
        ({"StringNotEquals": {"sts:ExternalId": "abc"}}, {"sts:externalid": ["abc"]}, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": "abc"}}, {}, True),
        ({"StringEqualsIfExists": {"sts:ExternalId": "abc"}}, {"sts:externalid": ["x"]}, False),
        ({"Null": {"sts:ExternalId": "true"}}, {}, True),
        ({"Null": {"sts:ExternalId": "false"}}, {}, False),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:multifactorauthpresent": ["True"]}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:tagkeys": ["a"]}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:tagkeys": ["a", "c"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["c"]}}, {"aws:tagkeys": ["a", "c"]}, True),
        (
            {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/p"}},
            {"aws:principalarn": ["arn:aws:iam::1:role/p"]},
            True,
        ),
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, list[str]], holds: bool) -> None:
    document = policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Condition": condition}
    )

    decision = decide(document, "sts:AssumeRole", principal=PLATFORM, context=context)

    assert decision is (Decision.ALLOW if holds else Decision.IMPLICIT_DENY)


AUDIENCE = "sts:IdentityTokenAudience"


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        # ForAllValues: every value the request carries must match one of the patterns.
        (
            {"ForAllValues:StringLike": {AUDIENCE: "urn:skylight:*"}},
            {AUDIENCE.lower(): ["urn:skylight:a"]},
            True,
        ),
        (
            {"ForAllValues:StringLike": {AUDIENCE: "urn:skylight:*"}},
            {AUDIENCE.lower(): ["urn:skylight:a", "urn:skylight:b"]},
            True,
        ),
        (
            {"ForAllValues:StringLike": {AUDIENCE: "urn:skylight:*"}},
            {AUDIENCE.lower(): ["urn:skylight:a", "https://elsewhere"]},
            False,
        ),
        ({"ForAllValues:StringLike": {AUDIENCE: "urn:skylight:*"}}, {AUDIENCE.lower(): ["urn:other"]}, False),
        # ForAnyValue: one matching value is enough, none is not.
        (
            {"ForAnyValue:StringLike": {AUDIENCE: ["urn:skylight:?", "https://*.example"]}},
            {AUDIENCE.lower(): ["urn:other", "https://api.example"]},
            True,
        ),
        (
            {"ForAnyValue:StringLike": {AUDIENCE: "urn:skylight:?"}},
            {AUDIENCE.lower(): ["urn:skylight:ab"]},
            False,
        ),
        ({"ForAnyValue:StringLike": {AUDIENCE: "urn:skylight:*"}}, {}, False),
        ({"NumericLessThanEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["300"]}, True),
        ({"NumericLessThanEquals": {"sts:DurationSeconds": "300"}}, {"sts:durationseconds": ["60"]}, True),
        ({"NumericLessThanEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["301"]}, False),
        ({"NumericLessThanEquals": {"sts:DurationSeconds": 300}}, {}, False),
        ({"NumericLessThanEqualsIfExists": {"sts:DurationSeconds": 300}}, {}, True),
        ({"NumericLessThanEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["abc"]}, False),
        ({"NumericLessThan": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["300"]}, False),
        ({"NumericGreaterThan": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["301"]}, True),
        ({"NumericGreaterThanEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["299"]}, False),
        ({"NumericEquals": {"sts:DurationSeconds": ["60", "300"]}}, {"sts:durationseconds": ["300.0"]}, True),
        ({"NumericNotEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["300"]}, False),
        ({"NumericNotEquals": {"sts:DurationSeconds": 300}}, {"sts:durationseconds": ["60"]}, True),
    ],
)
def test_multi_valued_and_numeric_conditions(
    condition: dict[str, Any], context: dict[str, list[str]], holds: bool
) -> None:
    document = policy(
        {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*", "Condition": condition}
    )

    decision = decide(document, "sts:GetWebIdentityToken", context=context)

    assert decision is (Decision.ALLOW if holds else Decision.IMPLICIT_DENY)


def test_a_numeric_deny_applies_only_beyond_its_limit() -> None:
    document = policy(
        {"Effect": "Allow", "Action": "sts:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "sts:GetWebIdentityToken",
            "Resource": "*",
            "Condition": {"NumericGreaterThan": {"sts:DurationSeconds": 900}},
        },
    )

    short = {"sts:durationseconds": ["900"]}
    assert decide(document, "sts:GetWebIdentityToken", context=short) is Decision.ALLOW
    long = {"sts:durationseconds": ["901"]}
    assert decide(document, "sts:GetWebIdentityToken", context=long) is Decision.EXPLICIT_DENY


def test_an_unknown_operator_never_allows_and_never_lifts_a_deny() -> None:
    condition = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition})
    deny = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition},
    )

    assert decide(allow, "ec2:DescribeVpcs") is Decision.IMPLICIT_DENY
    assert decide(deny, "ec2:DescribeVpcs") is Decision.EXPLICIT_DENY


def test_documents_may_be_json_or_url_encoded_text() -> None:
    text = '{"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}'

    assert decide(text, "ec2:DescribeVpcs") is Decision.ALLOW
    assert parse_document("%7B%22Statement%22%3A%20%5B%5D%7D") == {"Statement": []}
