"""The outbound-federation custom resource answers CloudFormation for every request type."""

from __future__ import annotations

import pytest

from skylight.logic.deployment import OUTBOUND_FEDERATION_ID, outbound_federation_response

ISSUER = "https://0f5c0b6e-1111-4a3e-9e5e-1f2e3d4c5b6a.tokens.sts.global.api.aws"


class Federation:
    def __init__(self) -> None:
        self.enabled = 0

    def enable(self) -> str:
        self.enabled += 1
        return ISSUER


def request(request_type: str, **extra: str) -> dict[str, str]:
    return {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Skylight/1",
        "RequestId": "r-1",
        "LogicalResourceId": "OutboundFederation",
        **extra,
    }


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_turn_federation_on_and_report_the_issuer(request_type: str) -> None:
    federation = Federation()

    answer = outbound_federation_response(request(request_type), federation)

    assert answer == {
        "Status": "SUCCESS",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Skylight/1",
        "RequestId": "r-1",
        "LogicalResourceId": "OutboundFederation",
        "PhysicalResourceId": OUTBOUND_FEDERATION_ID,
        "Data": {"Issuer": ISSUER},
    }
    assert federation.enabled == 1


def test_delete_leaves_the_account_setting_on() -> None:
    federation = Federation()

    answer = outbound_federation_response(request("Delete", PhysicalResourceId="kept-id"), federation)

    assert (answer["Status"], answer["PhysicalResourceId"], "Data" in answer) == ("SUCCESS", "kept-id", False)
    assert federation.enabled == 0


def test_a_failure_is_answered_with_its_reason() -> None:
    answer = outbound_federation_response(
        request("Create"), Federation(), reason_on_failure="AccessDenied: no"
    )

    assert (answer["Status"], answer["Reason"]) == ("FAILED", "AccessDenied: no")
    assert "Data" not in answer
