"""Reviewing who a customer role's trust policy lets in."""

import json
from urllib.parse import quote

import pytest

from skylight.models.domain import StepOutcome
from skylight.providers.aws.trust_review import parse_policy_document, review_trust_policy

PRINCIPAL = "arn:aws:iam::123456789012:role/Skylight-platform-principal"


def policy(principal, action="sts:AssumeRole", effect="Allow"):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": effect,
                "Principal": principal,
                "Action": action,
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            }
        ],
    }


def test_only_the_platform_principal_passes():
    review = review_trust_policy(policy({"AWS": PRINCIPAL}), PRINCIPAL)
    assert review.outcome is StepOutcome.PASSED


@pytest.mark.parametrize(
    ("principal", "phrase"),
    [
        ({"AWS": "arn:aws:iam::123456789012:root"}, "whole platform account"),
        ({"AWS": "123456789012"}, "whole platform account"),
        ({"AWS": [PRINCIPAL, "*"]}, "everyone"),
        ("*", "everyone"),
    ],
)
def test_trusting_more_than_the_platform_principal_is_a_warning_that_says_what_to_name(principal, phrase):
    review = review_trust_policy(policy(principal), PRINCIPAL)
    assert review.outcome is StepOutcome.WARNING
    assert phrase in review.message and PRINCIPAL in review.message


def test_a_policy_that_does_not_name_the_principal_directly_is_a_warning():
    review = review_trust_policy(policy({"AWS": "arn:aws:iam::123456789012:role/other"}), PRINCIPAL)
    assert review.outcome is StepOutcome.WARNING


def test_deny_statements_and_other_actions_do_not_count_as_trust():
    document = policy({"AWS": PRINCIPAL})
    document["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"})
    document["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "sts:TagSession"})
    assert review_trust_policy(document, PRINCIPAL).outcome is StepOutcome.PASSED


def test_url_encoded_and_decoded_documents_both_parse():
    document = policy({"AWS": PRINCIPAL})
    assert parse_policy_document(quote(json.dumps(document))) == document
    assert parse_policy_document(document) == document
